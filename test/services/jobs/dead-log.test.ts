// DeadLog: a warn line naming the tenant, function, job, source, attempts and last error code of
// an item that became dead, a count by source for airlock_jobs_dead_total, and a bound per
// (tenant, function) with a line counting the rest once the window ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueItem } from '../../../src/queue/port.js';
import { DeadLog } from '../../../src/services/jobs/dead-log.js';

let n = 0;
function deadItem(o: Partial<QueueItem> = {}): QueueItem {
  return {
    id: `qi_${++n}`, tenant: 'acme', function: 'sync', lane: 'background', payload: { input: 1, source: { kind: 'api' } }, status: 'dead',
    attempts: 3, maxAttempts: 3, runs: 3, stalledRuns: 0, fence: 3, runAfter: 0, createdAt: 0, updatedAt: 0,
    lastError: { code: 'FUNCTION_FAILED', message: 'Error: tenant text' }, ...o,
  };
}

function harness() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  const counted: string[] = [];
  const log = new DeadLog({ warn: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg }) }, { recordDead: (s) => counted.push(s) }, { now: () => 0 });
  return { log, lines, counted };
}

test('a dead job is logged with its tenant, function, id, source, attempts and last error code, and counted by source', () => {
  const { log, lines, counted } = harness();
  const item = deadItem();
  log.note(item);
  assert.deepEqual(lines[0]!.obj, {
    dead: true, tenant: 'acme', function: 'sync', job: item.id, source: 'api', attempts: 3, maxAttempts: 3, lastErrorCode: 'FUNCTION_FAILED',
  });
  assert.match(lines[0]!.msg, new RegExp(`^job ${item.id} of acme/sync \\(api\\) is dead after 3 failed attempts, last FUNCTION_FAILED; `));
  assert.doesNotMatch(JSON.stringify(lines), /tenant text/, "the last error's message is the tenant's text");
  log.note(deadItem({ function: 'hook', payload: { input: {}, source: { kind: 'webhook', deliveryId: 'dl_1' } } }));
  log.note(deadItem({ function: 'old', idempotencyKey: 'schedule:nightly:2025-01-01T00:00:00.000Z', payload: { input: null } }));
  assert.deepEqual(counted, ['api', 'webhook', 'schedule']);
  assert.deepEqual(lines.map((l) => l.obj.source), ['api', 'webhook', 'schedule']);
});

test('many deaths of one function write one line, and one more counting the rest when the window ends', () => {
  const { log, lines, counted } = harness();
  for (let i = 0; i < 500; i++) log.note(deadItem());
  assert.equal(lines.length, 1);
  assert.equal(counted.length, 500, 'every death is counted in the metric');
  log.close();
  assert.equal(lines.length, 2);
  assert.deepEqual([lines[1]!.obj.suppressed, lines[1]!.obj.function], [499, 'sync']);
  assert.match(lines[1]!.msg, /^499 more jobs of acme\/sync died in the last 0 s/);
});

test('one failed attempt is said in the singular', () => {
  const { log, lines } = harness();
  log.note(deadItem({ attempts: 1, maxAttempts: 1 }));
  assert.match(lines[0]!.msg, / is dead after 1 failed attempt, last FUNCTION_FAILED; /);
});
