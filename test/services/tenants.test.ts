// TenantService on a real SQLite file, with the worker, pool and recorder stood in for: a call
// that runs out of its time budget answers complete: false and the next call goes on; running
// jobs are stopped and waited for, sandboxes retired, caches dropped and records flushed before
// the rest is deleted; a tenant with nothing stored is TENANT_NOT_FOUND.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SqliteTenants } from '../../src/store/sqlite/tenants/store.js';
import { TenantService } from '../../src/services/tenants/service.js';
import { makeRecord, makeVersion } from '../store/fixtures.js';
import { tempSqlite } from '../store/temp-sqlite.js';
import { rejectsWith } from '../support/rejects.js';

describe('TenantService', () => {
  test('deletes in steps across calls when the time budget runs out, and says so', async () => {
    const temp = await tempSqlite();
    const store = new SqliteTenants(join(temp.dir, 'airlock.db'));
    try {
      await store.migrate();
      await temp.store.putFunctionVersion(makeVersion({ tenant: 'big' }));
      await temp.store.insertExecutions(Array.from({ length: 5 }, () => makeRecord({ tenant: 'big' })));
      const events: string[] = [];
      const service = new TenantService({
        store,
        stepRows: 2,
        budgetMs: 0, // one step per call: the first
        recorder: { flush: async () => void events.push('flush') },
        pool: { retireTenant: (t) => (events.push(`retire ${t}`), { retired: 0, exited: Promise.resolve() }) },
        forget: [(t) => events.push(`forget ${t}`)],
      });
      const answers = [];
      for (let i = 0; i < 5; i++) {
        const answer = await service.delete('big');
        answers.push([answer.deleted.functions, answer.deleted.executions, answer.complete]);
        if (answer.complete) break;
      }
      assert.deepEqual(answers, [[1, 2, false], [0, 2, false], [0, 1, true]]);
      assert.deepEqual(events.slice(0, 3), ['forget big', 'retire big', 'flush'], 'caches and sandboxes first, records flushed before the rest');
      await rejectsWith(service.delete('big'), 'TENANT_NOT_FOUND');
      await rejectsWith(service.get('big'), 'TENANT_NOT_FOUND');
    } finally {
      await store.close();
      await temp.cleanup();
    }
  });
});
