// OutcomeLog: one warn line for the first execution that did not succeed per (tenant, function,
// status) in a window, a summary line counting the rest when the window ends, refusals keyed per
// tenant, a cap on the combinations followed, and what a line holds (and leaves out). The clock
// is injected; the window's own timer is observed through the lines it writes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExecutionRecord } from '../../src/core/types.js';
import { OutcomeLog } from '../../src/services/outcome-log.js';
import { makeRecord } from '../store/fixtures.js';
import { waitFor } from './wait.js';

type Line = { obj: Record<string, unknown>; msg: string };

function harness(options: { windowMs?: number; maxKeys?: number } = {}) {
  const lines: Line[] = [];
  let now = 1_000_000;
  const log = new OutcomeLog({ warn: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg }) }, { windowMs: 60_000, ...options, now: () => now });
  return { log, lines, advance: (ms: number) => (now += ms) };
}

const failed = (o: Partial<ExecutionRecord> = {}): ExecutionRecord =>
  makeRecord({ status: 'failed', error: { type: 'TypeError', message: 'tenant text: card 4242' }, ...o });

describe('OutcomeLog', () => {
  test('logs the first failure of a tenant/function/status whole, counts the rest, and sums them up at the window end', () => {
    const { log, lines, advance } = harness();
    const first = failed();
    log.note(first);
    for (let i = 0; i < 9_999; i++) log.note(failed());
    const last = failed();
    log.note(last);
    assert.equal(lines.length, 1, 'one line for 10,001 failures');
    assert.deepEqual(lines[0]!.obj, {
      outcome: 'failed', tenant: 'acme', function: 'hello', version: 'v1', executionId: first.id, kind: 'invoke',
      status: 'failed', errorType: 'TypeError', durationMs: 1.25, start: 'warm',
    });
    assert.equal(lines[0]!.msg, 'execution of acme/hello ended failed (TypeError)');
    assert.doesNotMatch(JSON.stringify(lines), /4242/, "a failed run's message is the tenant's text: never logged");
    advance(2_500);
    log.flush();
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[1]!.obj, { outcome: 'failed', status: 'failed', tenant: 'acme', function: 'hello', suppressed: 10_000, seconds: 2.5, lastExecutionId: last.id });
    assert.equal(lines[1]!.msg, `10000 more failed executions of acme/hello in the last 2.5 s were not logged (last: ${last.id})`);
    log.note(failed());
    assert.equal(lines.length, 3, 'a new window logs the first failure again');
    log.flush();
    assert.equal(lines.length, 3, 'no summary when nothing was left out');
  });

  test('each function and each status has its own line', () => {
    const { log, lines } = harness();
    log.note(failed());
    log.note(failed({ function: 'other' }));
    log.note(failed({ tenant: 'globex' }));
    log.note(makeRecord({ status: 'timeout', error: { type: 'Timeout', message: 'did not finish within 2000 ms' } }));
    assert.deepEqual(lines.map((l) => [l.obj.tenant, l.obj.function, l.obj.status]), [
      ['acme', 'hello', 'failed'], ['acme', 'other', 'failed'], ['globex', 'hello', 'failed'], ['acme', 'hello', 'timeout'],
    ]);
    assert.equal(lines[3]!.obj.errorMessage, 'did not finish within 2000 ms', "the host's own error message is logged");
  });

  test('refusals are followed per tenant, whatever the function', () => {
    const { log, lines } = harness();
    const error = { type: 'TooManyRequests', message: 'tenant acme is at its limit' };
    log.note(makeRecord({ status: 'rejected', start: null, error }));
    log.note(makeRecord({ status: 'rejected', start: null, error, function: 'other' }));
    log.note(makeRecord({ status: 'rejected', start: null, error, function: 'third' }));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.msg, 'call of acme/hello refused (TooManyRequests)');
    log.flush();
    assert.equal(lines[1]!.msg.startsWith('2 more calls of tenant acme refused in the last 0 s'), true, lines[1]!.msg);
    assert.equal(lines[1]!.obj.function, null);
  });

  test('a job slice names its job; a sandbox that exited says how', () => {
    const { log, lines } = harness();
    log.note(makeRecord({ status: 'killed', jobId: 'qi_1', error: { type: 'SandboxExited', message: 'exit code 3' } }), { code: 3, signal: null });
    log.note(makeRecord({ status: 'oom', error: { type: 'OutOfMemory', message: 'ran out' } }), { code: null, signal: 'SIGKILL' });
    assert.equal(lines[0]!.msg, 'job qi_1 run of acme/hello ended killed (SandboxExited)');
    assert.deepEqual([lines[0]!.obj.kind, lines[0]!.obj.jobId, lines[0]!.obj.exitCode, lines[0]!.obj.signal], ['job', 'qi_1', 3, null]);
    assert.deepEqual([lines[1]!.obj.kind, lines[1]!.obj.exitCode, lines[1]!.obj.signal], ['invoke', null, 'SIGKILL']);
  });

  test('beyond maxKeys combinations in a window, the rest are counted in one line', () => {
    const { log, lines } = harness({ maxKeys: 3 });
    for (let i = 0; i < 10; i++) log.note(failed({ function: `f${i}` }));
    assert.equal(lines.length, 3);
    log.flush();
    assert.equal(lines.length, 4);
    assert.equal(lines[3]!.obj.suppressed, 7);
    assert.match(lines[3]!.msg, /^7 more executions that did not succeed, of over 3 tenant\/function\/status combinations/);
  });

  test("the window's timer writes the summary on its own", async () => {
    const lines: Line[] = [];
    const log = new OutcomeLog({ warn: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg }) }, { windowMs: 5 });
    log.note(failed());
    log.note(failed());
    await waitFor(() => lines.length === 2, 'the summary line');
    assert.equal(lines[1]!.obj.suppressed, 1);
    log.close();
  });
});
