// ExecutionRecorder against a real SQLite store, wrapped to count batches and inject failures.
// Nothing here measures time: batching is observed through the batches the store receives.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { AirlockError } from '../../src/core/errors.js';
import { jsonBytes, PageBudget } from '../../src/core/page-budget.js';
import type { ExecutionRecord } from '../../src/core/types.js';
import { ExecutionRecorder } from '../../src/services/recorder.js';
import type { RecorderLogger, RecorderOptions } from '../../src/services/recorder.js';
import type { Store } from '../../src/store/port.js';
import { makeRecord } from '../store/fixtures.js';
import { tempSqlite } from '../store/temp-sqlite.js';
import { turns, waitFor } from './wait.js';

// Compile-time check: a pino logger is an acceptable RecorderLogger.
const _pinoFits: RecorderLogger = pino({ level: 'silent' });
void _pinoFits;

interface Harness {
  recorder: ExecutionRecorder;
  /** The real store (reads bypass the recorder). */
  store: Store;
  /** Sizes of the insertExecutions calls that reached the store, in order (failed ones too). */
  batches: number[];
  /** Set to make the next insertExecutions calls throw (a failure injection wrapper). */
  failures: { remaining: number };
  logged: { obj: object; msg: string }[];
}

/** Wraps the real store: counts batches and throws while `failures.remaining` > 0. */
function instrument(real: Store, batches: number[], failures: { remaining: number }): Store {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'insertExecutions') {
        return async (records: ExecutionRecord[]) => {
          batches.push(records.length);
          if (failures.remaining > 0) {
            failures.remaining--;
            throw new Error('injected: disk I/O error');
          }
          return target.insertExecutions(records);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function withRecorder(
  options: RecorderOptions & { flushMs?: number },
  fn: (h: Harness) => Promise<void>,
): Promise<void> {
  const t = await tempSqlite();
  const batches: number[] = [];
  const failures = { remaining: 0 };
  const logged: { obj: object; msg: string }[] = [];
  const { flushMs = 60_000, ...tuning } = options;
  const recorder = new ExecutionRecorder(
    instrument(t.store, batches, failures),
    { recordFlushMs: flushMs },
    { error: (obj, msg) => logged.push({ obj, msg }) },
    tuning,
  );
  try {
    await fn({ recorder, store: t.store, batches, failures, logged });
  } finally {
    failures.remaining = 0;
    await recorder.close().catch(() => undefined);
    await t.cleanup();
  }
}

async function storedCount(store: Store, tenant = 'acme'): Promise<number> {
  return (await store.listExecutions(tenant, { limit: 100_000 })).length;
}

describe('ExecutionRecorder', () => {
  test('record() only queues; get() sees the unwritten record, scoped to its tenant', () =>
    withRecorder({}, async ({ recorder, store, batches }) => {
      const rec = makeRecord();
      recorder.record(rec);
      assert.equal(recorder.backlog, 1);
      assert.deepEqual(batches, []);
      assert.equal(await store.getExecution('acme', rec.id), undefined);
      assert.deepEqual(await recorder.get('acme', rec.id), rec);
      assert.equal(await recorder.get('other', rec.id), undefined);
      await recorder.flush();
      assert.deepEqual(await store.getExecution('acme', rec.id), rec);
      assert.deepEqual(await recorder.get('acme', rec.id), rec);
      assert.equal(await recorder.get('other', rec.id), undefined);
    }));

  test('the timer writes a few records as one batch', () =>
    withRecorder({ flushMs: 5 }, async ({ recorder, store, batches }) => {
      for (let i = 0; i < 3; i++) recorder.record(makeRecord());
      await waitFor(async () => (await storedCount(store)) === 3, 'the timer flush');
      assert.deepEqual(batches, [3]);
      assert.equal(recorder.backlog, 0);
    }));

  test('reaching the batch size writes at once, without waiting for the timer', () =>
    withRecorder({ batchSize: 50 }, async ({ recorder, store, batches }) => {
      for (let i = 0; i < 49; i++) recorder.record(makeRecord());
      await turns();
      assert.deepEqual(batches, [], 'below the batch size nothing is written before the timer');
      recorder.record(makeRecord());
      await waitFor(async () => (await storedCount(store)) === 50, 'the batch-size flush');
      assert.deepEqual(batches, [50]);
    }));

  test('a burst is written in transactions of at most 500', () =>
    withRecorder({}, async ({ recorder, store, batches }) => {
      for (let i = 0; i < 1_200; i++) recorder.record(makeRecord());
      await waitFor(async () => (await storedCount(store)) === 1_200, 'the burst to be stored');
      assert.deepEqual(batches, [500, 500, 200]);
    }));

  test('list() writes waiting records first and returns newest first', () =>
    withRecorder({}, async ({ recorder, store }) => {
      const recs = [makeRecord(), makeRecord({ function: 'other' }), makeRecord()];
      for (const r of recs) recorder.record(r);
      const listed = await recorder.list('acme', { limit: 10 });
      assert.deepEqual(listed.map((r) => r.id), recs.map((r) => r.id).reverse());
      assert.equal(await storedCount(store), 3);
      assert.deepEqual((await recorder.list('acme', { limit: 10, function: 'other' })).map((r) => r.id), [recs[1]!.id]);
    }));

  test('a failed write loses nothing: it is logged, kept readable and retried', () =>
    withRecorder({ flushMs: 5 }, async ({ recorder, store, batches, failures, logged }) => {
      failures.remaining = 1;
      const recs = Array.from({ length: 10 }, () => makeRecord());
      for (const r of recs) recorder.record(r);
      await waitFor(async () => (await storedCount(store)) === 10, 'the retry to store everything');
      assert.deepEqual(batches, [10, 10]);
      assert.equal(logged.length, 1);
      assert.match(logged[0]!.msg, /kept and retried/);
      for (const r of recs) assert.deepEqual(await store.getExecution('acme', r.id), r);
    }));

  test('while the store fails, flush() rejects but get() and list() still see the records', () =>
    withRecorder({}, async ({ recorder, store, failures }) => {
      failures.remaining = Number.POSITIVE_INFINITY;
      const older = makeRecord();
      await store.insertExecutions([older]);
      const rec = makeRecord({ status: 'failed' });
      recorder.record(rec);
      await assert.rejects(recorder.flush(), /injected/);
      assert.equal(recorder.backlog, 1);
      assert.deepEqual(await recorder.get('acme', rec.id), rec);
      assert.deepEqual((await recorder.list('acme', { limit: 10 })).map((r) => r.id), [rec.id, older.id]);
      assert.deepEqual((await recorder.list('acme', { limit: 10, status: 'succeeded' })).map((r) => r.id), [older.id]);
      assert.deepEqual(await recorder.list('other', { limit: 10 }), []);
      failures.remaining = 0;
      await recorder.flush();
      assert.deepEqual(await store.getExecution('acme', rec.id), rec);
    }));

  test('while the store fails, list() keeps the byte budget over stored and waiting records alike', () =>
    withRecorder({}, async ({ recorder, store, failures }) => {
      failures.remaining = Number.POSITIVE_INFINITY;
      const stored = ['a', 'b', 'c'].map((c) => makeRecord({ result: c.repeat(500) }));
      await store.insertExecutions(stored);
      const waiting = [makeRecord({ result: 'd'.repeat(500) })];
      for (const r of waiting) recorder.record(r);
      const newest = [...stored, ...waiting].reverse().map((r) => r.id);
      // Two records' worth less a byte: every page holds two, the one that reaches the budget last.
      const budget = new PageBudget<ExecutionRecord>(2 * jsonBytes(waiting[0]) - 1, (rec) => jsonBytes(rec));
      const first = await recorder.list('acme', { limit: 10, budget });
      assert.deepEqual([first.map((r) => r.id), budget.spent], [newest.slice(0, 2), true], 'the waiting record and the newest stored one');
      budget.reset();
      const second = await recorder.list('acme', { limit: 10, budget, before: newest[1]! });
      assert.deepEqual([second.map((r) => r.id), budget.spent], [newest.slice(2), true]);
    }));

  test('records arriving during an outage wait for the retry instead of hammering the store', () =>
    withRecorder({ batchSize: 5, flushMs: 60_000 }, async ({ recorder, store, batches, failures }) => {
      failures.remaining = 1;
      for (let i = 0; i < 5; i++) recorder.record(makeRecord());
      await waitFor(() => batches.length === 1, 'the first, failing write');
      await turns();
      for (let i = 0; i < 20; i++) recorder.record(makeRecord());
      await turns();
      assert.equal(batches.length, 1, 'no new write until the retry timer fires');
      await recorder.flush();
      assert.equal(await storedCount(store), 25);
    }));

  test('a record the store can never hold is dropped alone, and logged', () =>
    withRecorder({}, async ({ recorder, store, logged }) => {
      const good1 = makeRecord();
      const bad = makeRecord({ result: { n: 1n } });
      const good2 = makeRecord();
      for (const r of [good1, bad, good2]) recorder.record(r);
      await recorder.flush();
      assert.equal(await storedCount(store), 2);
      assert.equal(await store.getExecution('acme', bad.id), undefined);
      assert.equal(logged.length, 1);
      assert.equal((logged[0]!.obj as { executionId?: string }).executionId, bad.id);
      assert.equal(recorder.dropped, 1);
    }));

  test('a long outage drops the oldest records beyond maxPending, and says so', () =>
    withRecorder({ batchSize: 2, maxPending: 5 }, async ({ recorder, store, failures, logged }) => {
      failures.remaining = Number.POSITIVE_INFINITY;
      const recs = Array.from({ length: 8 }, () => makeRecord());
      for (const r of recs) recorder.record(r);
      await assert.rejects(recorder.flush());
      assert.equal(recorder.backlog, 5);
      assert.equal(recorder.dropped, 3);
      assert.ok(logged.some((l) => /backlog is full/.test(l.msg)));
      failures.remaining = 0;
      await recorder.flush();
      const stored = (await store.listExecutions('acme', { limit: 100 })).map((r) => r.id);
      assert.deepEqual(stored, recs.slice(3).map((r) => r.id).reverse());
    }));

  test('concurrent flushes each cover what was recorded before them', () =>
    withRecorder({ batchSize: 3 }, async ({ recorder, store }) => {
      for (let i = 0; i < 7; i++) recorder.record(makeRecord());
      const first = recorder.flush();
      for (let i = 0; i < 4; i++) recorder.record(makeRecord());
      const second = recorder.flush();
      await first;
      assert.ok((await storedCount(store)) >= 7);
      await second;
      assert.equal(await storedCount(store), 11);
    }));

  test('close() writes everything left; later records are refused and logged', () =>
    withRecorder({}, async ({ recorder, store, logged }) => {
      for (let i = 0; i < 3; i++) recorder.record(makeRecord());
      await recorder.close();
      assert.equal(await storedCount(store), 3);
      const late = makeRecord();
      recorder.record(late);
      assert.equal(recorder.backlog, 0);
      assert.match(logged[0]!.msg, /after the recorder was closed/);
      assert.equal(recorder.dropped, 1);
      await recorder.close();
      assert.equal(await store.getExecution('acme', late.id), undefined);
    }));

  test('when the last write at close() fails, what it could not write is counted as dropped and logged', () =>
    withRecorder({}, async ({ recorder, store, failures, logged }) => {
      const records = [makeRecord(), makeRecord(), makeRecord()];
      for (const rec of records) recorder.record(rec);
      failures.remaining = 1_000;
      await assert.rejects(recorder.close(), /injected: disk I\/O error/);
      assert.equal(recorder.dropped, 3);
      assert.equal(recorder.backlog, 0);
      const line = logged.find((l) => /could not be written before shutdown and were dropped/.test(l.msg));
      assert.ok(line, JSON.stringify(logged.map((l) => l.msg)));
      assert.deepEqual(
        { dropped: (line.obj as { dropped: number }).dropped, firstId: (line.obj as { firstId: string }).firstId, lastId: (line.obj as { lastId: string }).lastId },
        { dropped: 3, firstId: records[0]!.id, lastId: records[2]!.id },
      );
      failures.remaining = 0;
      await assert.rejects(recorder.close(), /injected/, 'close() answers the same after that');
      assert.equal(recorder.dropped, 3, 'counted once');
      assert.equal(await storedCount(store), 0);
    }));

  test('a store error thrown as an AirlockError without an id is an ordinary failure', () =>
    withRecorder({}, async ({ recorder, store }) => {
      const real = store.insertExecutions.bind(store);
      let thrown = false;
      const odd: Store = new Proxy(store, {
        get(target, prop) {
          if (prop === 'insertExecutions') {
            return async (records: ExecutionRecord[]) => {
              if (!thrown) {
                thrown = true;
                throw new AirlockError('VALIDATION_FAILED', 'no id here');
              }
              return real(records);
            };
          }
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const r = new ExecutionRecorder(odd, { recordFlushMs: 60_000 }, { error: () => undefined });
      const rec = makeRecord();
      r.record(rec);
      await assert.rejects(r.flush(), /no id here/);
      await r.close();
      assert.deepEqual(await store.getExecution('acme', rec.id), rec);
      void recorder;
    }));

  test('records that did not succeed, and only those, go to the outcome log, which is closed with the recorder', async () => {
    const t = await tempSqlite();
    const noted: [string, unknown][] = [];
    let closed = 0;
    const outcomes = { note: (rec: ExecutionRecord, exit?: unknown) => noted.push([rec.status, exit]), close: () => closed++ };
    const recorder = new ExecutionRecorder(t.store, { recordFlushMs: 60_000 }, { error: () => {} }, { outcomes });
    try {
      recorder.record(makeRecord());
      recorder.record(makeRecord({ status: 'failed' }));
      recorder.record(makeRecord({ status: 'killed' }), { code: 3, signal: null });
      assert.deepEqual(noted, [['failed', undefined], ['killed', { code: 3, signal: null }]]);
      assert.equal(closed, 0);
      await recorder.close();
      assert.equal(closed, 1);
      assert.equal(await storedCount(t.store), 3);
    } finally {
      await t.cleanup();
    }
  });
});
