// The SQLite tenant store: listing tenants from every table that holds tenant data, in name order
// and by pages, by index seeks only; deleting a tenant in bounded steps that a later call resumes,
// leaving no row of it in any table and every other tenant's rows in place.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteTenants } from '../../src/store/sqlite/tenants/store.js';
import { TENANT_TABLES } from '../../src/store/sqlite/statements/tenants/list.js';
import { makeRecord, makeVersion } from './fixtures.js';
import { tempSqlite } from './temp-sqlite.js';
import { tenantRows } from '../support/tenant-rows.js';

async function withTenants(fn: (ctx: { tenants: SqliteTenants; file: string; raw: Database.Database; store: Awaited<ReturnType<typeof tempSqlite>>['store'] }) => Promise<void>): Promise<void> {
  const temp = await tempSqlite();
  const file = join(temp.dir, 'airlock.db');
  const tenants = new SqliteTenants(file);
  const raw = new Database(file);
  try {
    await tenants.migrate();
    await fn({ tenants, file, raw, store: temp.store });
  } finally {
    raw.close();
    await tenants.close();
    await temp.cleanup();
  }
}

describe('SqliteTenants', () => {
  test('every table with a tenant column is known to the listing and the deletion', () =>
    withTenants(async ({ file }) => {
      assert.deepEqual(Object.keys(tenantRows(file, 'x')).sort(), [...TENANT_TABLES].sort());
    }));

  test('the listing and the deletion read by index seeks, never a scan of a table', () =>
    withTenants(async ({ tenants }) => {
      const plan = tenants.explain();
      // The one scan: the partial index of running items, which holds only what runs now (all tenants).
      const scans = plan.filter((l) => /^SCAN /.test(l) && l !== 'SCAN CONSTANT ROW');
      assert.deepEqual([...new Set(scans)], ['SCAN queue_items USING INDEX queue_items_leases'], plan.join(' | '));
      assert.ok(plan.some((l) => /SEARCH executions USING (PRIMARY KEY|COVERING INDEX executions_tenant_\w+) \(tenant>\?\)/.test(l)), plan.join(' | '));
      assert.ok(plan.some((l) => /SEARCH queue_items USING (COVERING )?INDEX queue_items_tenant_list \(tenant=\?\)/.test(l)), plan.join(' | '));
    }));

  test('lists tenants from every table, by name, in pages, with counts; admin keys belong to none', () =>
    withTenants(async ({ tenants, store, raw }) => {
      await store.putFunctionVersion(makeVersion({ tenant: 'delta', name: 'a' }));
      await store.putFunctionVersion(makeVersion({ tenant: 'delta', name: 'b' }));
      await store.putApiKey({ id: 'key_admin', tenant: null, hash: 'h0', createdAt: 1 });
      await store.putApiKey({ id: 'key_1', tenant: 'bravo', hash: 'h1', createdAt: 1 });
      await store.insertExecutions([makeRecord({ tenant: 'alpha' })]);
      await store.putSecret({ tenant: 'delta', name: 's', hosts: [], sealed: Buffer.from('x'), createdAt: 1, updatedAt: 1 });
      raw.prepare("INSERT INTO queue_tenants (tenant, pass) VALUES ('charlie', 0)").run();
      raw.prepare("INSERT INTO schedule_runs (tenant, schedule, occurrence_at, outcome, created_at, updated_at) VALUES ('echo', 's', 1, 'fired', 1, 1)").run();

      const all = await tenants.list(undefined, 50);
      assert.deepEqual(all.map((t) => t.tenant), ['alpha', 'bravo', 'charlie', 'delta', 'echo']);
      assert.deepEqual(all[3], { tenant: 'delta', functions: 2, keys: 0, secrets: 1, schedules: 0, jobs: false, executions: false, backlog: 0 });
      assert.deepEqual(all[0], { tenant: 'alpha', functions: 0, keys: 0, secrets: 0, schedules: 0, jobs: false, executions: true, backlog: 0 });
      assert.deepEqual((await tenants.list(undefined, 2)).map((t) => t.tenant), ['alpha', 'bravo']);
      assert.deepEqual((await tenants.list('bravo', 2)).map((t) => t.tenant), ['charlie', 'delta']);
      assert.deepEqual((await tenants.list('delta', 2)).map((t) => t.tenant), ['echo']);
      assert.deepEqual(await tenants.list('echo', 2), []);
      assert.equal(await tenants.get('nobody'), undefined);
      assert.equal((await tenants.get('bravo'))?.keys, 1);
    }));

  test('deletes a large tenant in bounded steps, resumable, leaving other tenants alone', () =>
    withTenants(async ({ tenants, store, file, raw }) => {
      await store.putFunctionVersion(makeVersion({ tenant: 'big', name: 'f' }));
      await store.putFunctionVersion(makeVersion({ tenant: 'big', name: 'f', version: 'b'.repeat(64) }));
      await store.putApiKey({ id: 'key_big', tenant: 'big', hash: 'hb', createdAt: 1 });
      await store.putFunctionVersion(makeVersion({ tenant: 'small', name: 'f' }));
      await store.insertExecutions(Array.from({ length: 10 }, () => makeRecord({ tenant: 'big' })));
      await store.insertExecutions([makeRecord({ tenant: 'small' })]);
      const insertItem = raw.prepare(
        "INSERT INTO queue_items (id, tenant, function, lane, payload, status, max_attempts, run_after, created_at, updated_at, lease_owner, lease_expires_at) VALUES (?, ?, 'f', 'background', '{}', ?, 3, 0, 0, 0, ?, ?)",
      );
      insertItem.run('job_run', 'big', 'running', 'w1', Date.now() + 60_000);
      for (let i = 0; i < 4; i++) insertItem.run(`job_q${i}`, 'big', 'queued', null, null);
      insertItem.run('job_small', 'small', 'running', 'w1', Date.now() + 60_000);
      raw.prepare("INSERT INTO queue_tenants (tenant, pass) VALUES ('big', 1), ('small', 1)").run();

      const first = await tenants.deleteStep('big', 3);
      assert.deepEqual(first.stopped, ['job_run']);
      assert.equal(first.more, true);
      assert.equal(first.deleted.keys, 1);
      assert.equal(first.deleted.functions, 1);
      assert.equal(first.deleted.versions, 2);
      assert.equal(first.deleted.executions, 3);
      assert.equal(first.deleted.jobs, 3);
      assert.equal(first.deleted.queueState, 0, 'the fairness state stays while queue items remain');
      // A crash here leaves a tenant that is still listed and still deletable: calling again goes on.
      assert.equal(await tenants.exists('big'), true);
      let executions = first.deleted.executions;
      let jobs = first.deleted.jobs;
      let queueState = 0;
      for (let i = 0; i < 10; i++) {
        const step = await tenants.deleteStep('big', 3);
        assert.deepEqual(step.stopped, []);
        executions += step.deleted.executions;
        jobs += step.deleted.jobs;
        queueState += step.deleted.queueState;
        if (!step.more) break;
      }
      assert.equal(executions, 10);
      assert.equal(jobs, 5);
      assert.equal(queueState, 1);
      assert.equal(await tenants.exists('big'), false);
      for (const [table, n] of Object.entries(tenantRows(file, 'big'))) assert.equal(n, 0, `rows of big left in ${table}`);
      const small = tenantRows(file, 'small');
      assert.deepEqual([small.functions, small.function_versions, small.executions, small.queue_items, small.queue_tenants], [1, 1, 1, 1, 1]);
      assert.equal(raw.prepare<[], { status: string }>("SELECT status FROM queue_items WHERE id = 'job_small'").get()?.status, 'running');
      assert.deepEqual(raw.prepare('SELECT status, n FROM queue_counts ORDER BY status').all(), [{ status: 'queued', n: 0 }, { status: 'running', n: 1 }]);
    }));
});
