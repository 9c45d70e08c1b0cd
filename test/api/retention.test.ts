// Retention in a running server: with AIRLOCK_RETENTION_HOURS=1, the rows a database already
// holds from two hours ago (an execution record, a finished job, a schedule occurrence) are
// deleted by the server's own loop, which runs a round at start, while recent ones stay; the
// metrics count what was deleted. The old rows are written through the stores with their own
// clock before the server starts; the test polls with a deadline, it never sleeps.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sortableId } from '../../src/core/ids.js';
import type { JobPayload } from '../../src/services/jobs/payload.js';
import { SqliteQueue } from '../../src/store/sqlite/queue/store.js';
import { SqliteSchedules } from '../../src/store/sqlite/schedules/store.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { testPolicy } from '../queue/support.js';
import { waitFor } from '../services/wait.js';
import { makeRecord } from '../store/fixtures.js';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const HOUR = 3_600_000;
const NOW = Date.now();
const OLD = NOW - 2 * HOUR;

interface Seeded {
  oldExecution: string;
  newExecution: string;
  oldJob: string;
  newJob: string;
}

/** Writes rows two hours old and rows of now into the database file the server will open. */
async function seed(file: string): Promise<Seeded> {
  const store = new SqliteStore(file);
  await store.migrate();
  const oldExecution = sortableId('ex', OLD);
  const newExecution = sortableId('ex', NOW);
  await store.insertExecutions([
    makeRecord({ id: oldExecution, queuedAt: OLD, startedAt: OLD, finishedAt: OLD }),
    makeRecord({ id: newExecution, queuedAt: NOW, startedAt: NOW, finishedAt: NOW }),
  ]);
  await store.close();

  let clock = OLD;
  const queue = new SqliteQueue(file, { policy: testPolicy(), now: () => clock });
  await queue.migrate();
  const finishedJob = async (): Promise<string> => {
    const payload: JobPayload = { input: null, maxRunMs: 1_000, deadlineAt: clock + HOUR };
    const { item } = await queue.enqueue({ tenant: 'acme', function: 'sync', lane: 'background', payload });
    const [claimed] = await queue.claim({ owner: 'seed', max: 1 });
    assert.equal(claimed?.item.id, item.id);
    await queue.complete(claimed.lease, { ok: true });
    return item.id;
  };
  const oldJob = await finishedJob();
  clock = NOW;
  const newJob = await finishedJob();
  await queue.close();

  const schedules = new SqliteSchedules(file);
  await schedules.migrate();
  const def = { tenant: 'acme', name: 'nightly', function: 'sync', everySeconds: 60, timezone: 'UTC', input: null, overlap: 'allow' as const };
  for (const at of [OLD, NOW - 60_000]) {
    await schedules.put({ ...def, anchorAt: OLD, nextAt: at, updatedAt: at });
    const [claimed] = await schedules.claimDue(at, () => ({ occurrenceAt: at, missed: 0, nextAt: at + 60_000 }), 30_000);
    assert.equal(claimed?.run.occurrenceAt, at);
    await schedules.settle({ tenant: 'acme', schedule: 'nightly', occurrenceAt: at, outcome: 'fired', jobId: oldJob }, at);
  }
  // Not due again while the test runs.
  await schedules.put({ ...def, anchorAt: OLD, nextAt: NOW + 24 * HOUR, updatedAt: NOW });
  await schedules.close();
  return { oldExecution, newExecution, oldJob, newJob };
}

describe('retention in a running server', () => {
  let dataDir: string;
  let server: TestServer;
  let seeded: Seeded;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'airlock-retention-'));
    seeded = await seed(join(dataDir, 'airlock.db'));
    server = await startTestServer({ AIRLOCK_DATA_DIR: dataDir, AIRLOCK_RETENTION_HOURS: '1' });
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('deletes what finished before the retention period and keeps the rest', async () => {
    const status = async (path: string) => (await server.request('GET', path)).status;
    await waitFor(async () => (await status(`/v1/tenants/acme/executions/${seeded.oldExecution}`)) === 404, 'the old execution record to go', 20_000);
    await waitFor(async () => (await status(`/v1/tenants/acme/jobs/${seeded.oldJob}`)) === 404, 'the old job to go', 20_000);
    const runs = async () => (await server.request('GET', '/v1/tenants/acme/schedules/nightly/runs')).body.runs as { occurrenceAt: string }[];
    await waitFor(async () => (await runs()).length === 1, 'the old occurrence to go', 20_000);

    assert.equal(await status(`/v1/tenants/acme/executions/${seeded.newExecution}`), 200);
    assert.equal(await status(`/v1/tenants/acme/jobs/${seeded.newJob}`), 200);
    assert.deepEqual((await runs()).map((r) => r.occurrenceAt), [new Date(NOW - 60_000).toISOString()]);
  });

  it('counts the deleted rows per kind in the metrics', async () => {
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.adminKey}` } });
    const body = await res.text();
    for (const kind of ['executions', 'jobs', 'schedule_runs']) {
      assert.match(body, new RegExp(`^airlock_purged_rows_total\\{kind="${kind}"\\} 1$`, 'm'), kind);
    }
  });
});
