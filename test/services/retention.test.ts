// RetentionPurger over stand-in stores: the cutoff is now minus the retention period; each kind
// is purged in batches of the configured size until its pass ends or the round's budget is
// spent; the event loop runs between two batches; one info line per round that deleted
// something, with counts per kind, and the counts go to the metrics; a kind that fails is logged
// and the others still run; the loop runs a round at start and stops promptly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PurgeBatch } from '../../src/store/port.js';
import { RetentionPurger } from '../../src/services/retention.js';
import type { PurgeKind, RetentionDeps } from '../../src/services/retention.js';
import { waitFor } from './wait.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 5, 1);

type Purge = (before: number, max: number) => Promise<PurgeBatch>;

/** A stand-in store of `rows` old rows; records each call. */
function rowsOf(rows: number, calls: [number, number][] = []): Purge {
  let left = rows;
  return async (before, max) => {
    calls.push([before, max]);
    const deleted = Math.min(left, max);
    left -= deleted;
    return { deleted, more: left > 0 };
  };
}

interface Logged {
  level: 'info' | 'warn';
  obj: Record<string, unknown>;
  msg: string;
}

function purger(stores: { executions?: Purge; jobs?: Purge; runs?: Purge }, overrides: Partial<RetentionDeps> = {}) {
  const logged: Logged[] = [];
  const metrics: [PurgeKind, number][] = [];
  const none: Purge = async () => ({ deleted: 0, more: false });
  const p = new RetentionPurger({
    hours: 24,
    store: { purgeExecutions: stores.executions ?? none },
    queue: { purgeFinished: stores.jobs ?? none },
    schedules: { purgeRuns: stores.runs ?? none },
    logger: {
      info: (obj, msg) => logged.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
      warn: (obj, msg) => logged.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    },
    metrics: { recordPurged: (kind, rows) => metrics.push([kind, rows]) },
    now: () => NOW,
    batchRows: 10,
    roundBatches: 3,
    ...overrides,
  });
  return { p, logged, metrics };
}

describe('RetentionPurger', () => {
  it('purges every kind in batches up to its pass end, from now minus the retention period', async () => {
    const calls: [number, number][] = [];
    const { p, logged, metrics } = purger({ executions: rowsOf(25, calls), runs: rowsOf(4) });
    assert.deepEqual(await p.round(), { purged: { executions: 25, jobs: 0, schedule_runs: 4 }, backlog: false });
    assert.deepEqual(calls, [[NOW - 24 * HOUR, 10], [NOW - 24 * HOUR, 10], [NOW - 24 * HOUR, 10]]);
    assert.deepEqual(metrics, [['executions', 10], ['executions', 10], ['executions', 5], ['schedule_runs', 4]]);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.level, 'info');
    assert.deepEqual(logged[0]?.obj, {
      purged: { executions: 25, jobs: 0, schedule_runs: 4 },
      olderThan: new Date(NOW - 24 * HOUR).toISOString(),
      retentionHours: 24,
    });
  });

  it("judges schedule occurrences by the schedules' clock when it has its own", async () => {
    const executions: [number, number][] = [];
    const runs: [number, number][] = [];
    const { p } = purger({ executions: rowsOf(1, executions), runs: rowsOf(1, runs) }, { scheduleNow: () => NOW - 100 * HOUR });
    await p.round();
    assert.deepEqual([executions[0]?.[0], runs[0]?.[0]], [NOW - 24 * HOUR, NOW - 124 * HOUR]);
  });

  it('stops a kind at the round budget and says a backlog is left', async () => {
    const calls: [number, number][] = [];
    const { p } = purger({ jobs: rowsOf(100, calls) });
    assert.deepEqual(await p.round(), { purged: { executions: 0, jobs: 30, schedule_runs: 0 }, backlog: true });
    assert.equal(calls.length, 3);
    assert.deepEqual(await p.round(), { purged: { executions: 0, jobs: 30, schedule_runs: 0 }, backlog: true });
  });

  it('is no backlog when a pass only finds live rows (nothing to delete)', async () => {
    const { p, logged } = purger({ jobs: async () => ({ deleted: 0, more: true }) });
    assert.deepEqual(await p.round(), { purged: { executions: 0, jobs: 0, schedule_runs: 0 }, backlog: false });
    assert.deepEqual(logged, [], 'a round that deleted nothing logs nothing');
  });

  it('lets the event loop run between two batches', async () => {
    const order: string[] = [];
    let call = 0;
    const { p } = purger({
      executions: async () => {
        order.push(`batch ${++call}`);
        if (call === 1) setImmediate(() => order.push('request'));
        return { deleted: 10, more: call < 2 };
      },
    });
    await p.round();
    assert.deepEqual(order, ['batch 1', 'request', 'batch 2']);
  });

  it('logs a kind that fails and still purges the others', async () => {
    const { p, logged } = purger({
      executions: async () => {
        throw new Error('disk I/O error');
      },
      runs: rowsOf(3),
    });
    assert.deepEqual((await p.round()).purged, { executions: 0, jobs: 0, schedule_runs: 3 });
    assert.deepEqual(logged.map((l) => [l.level, l.obj.kind]), [['warn', 'executions'], ['info', undefined]]);
  });

  it('runs a round at start, then waits its interval; stop() ends the wait at once', async () => {
    const calls: [number, number][] = [];
    const { p } = purger({ executions: rowsOf(5, calls) }, { intervalMs: 3_600_000 });
    p.start();
    await waitFor(() => calls.length === 1, 'the first round');
    await p.stop(); // an hour's timer would hold the test until its timeout
    assert.equal(calls.length, 1);
  });

  it('comes back after the short pause while a backlog is left', async () => {
    const calls: [number, number][] = [];
    const { p } = purger({ executions: rowsOf(100, calls) }, { intervalMs: 3_600_000, backlogPauseMs: 1 });
    p.start();
    await waitFor(() => calls.length >= 10, 'rounds until the backlog is gone');
    await p.stop();
    assert.equal(calls.length, 10);
  });
});
