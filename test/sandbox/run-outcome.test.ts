// How a run whose sandbox exited mid-run ends. ranOutOfMemory: the kernel's OOM kill counter
// decides with a cgroup; V8's message (tenant-forgeable text) counts only when the cgroup's peak
// shows the whole heap was used; without a cgroup probe, V8's message decides. exitFailure: a
// process that exited with its own status is SandboxExited even if a destroy was requested
// meanwhile, and its message says a function must not end its process; only the host's kill is
// SandboxDestroyed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { doneOutcome, exitFailure, ranOutOfMemory } from '../../src/sandbox/run-outcome.js';
import type { DoneFrame } from '../../src/runtime/protocol.js';
import { request } from './support.js';

const MiB = 1024 * 1024;

describe('ranOutOfMemory', () => {
  it('with a cgroup: a kernel OOM kill is oom, whatever stderr said', () => {
    assert.equal(ranOutOfMemory({ kernelOomKill: true, v8Reported: false, peakBytes: 10 * MiB, memoryMiB: 64 }), true);
  });

  it("with a cgroup: V8's message counts only once the group used at least the whole heap", () => {
    assert.equal(ranOutOfMemory({ kernelOomKill: false, v8Reported: true, peakBytes: 64 * MiB, memoryMiB: 64 }), true);
    assert.equal(ranOutOfMemory({ kernelOomKill: false, v8Reported: true, peakBytes: 64 * MiB - 1, memoryMiB: 64 }), false, 'forged text, heap not full');
    assert.equal(ranOutOfMemory({ kernelOomKill: false, v8Reported: true, peakBytes: undefined, memoryMiB: 64 }), false, 'no peak accounted');
    assert.equal(ranOutOfMemory({ kernelOomKill: false, v8Reported: false, peakBytes: 500 * MiB, memoryMiB: 64 }), false, 'a crash after heavy use');
  });

  it("without a cgroup probe: V8's message decides", () => {
    assert.equal(ranOutOfMemory({ kernelOomKill: undefined, v8Reported: true, peakBytes: undefined, memoryMiB: 64 }), true);
    assert.equal(ranOutOfMemory({ kernelOomKill: undefined, v8Reported: false, peakBytes: undefined, memoryMiB: 64 }), false);
  });
});

describe('exitFailure', () => {
  const facts = { oom: false, memoryMiB: 128 };

  it("a process that exited with its own status is SandboxExited, even after a destroy was requested (a failed cgroup move)", () => {
    const ended = exitFailure({ ...facts, destroyRequested: true, exitCode: 3, signalCode: null });
    assert.deepEqual([ended.status, ended.error.type, ended.error.message], ['killed', 'SandboxExited', 'the sandbox process exited during the execution (exit code 3); a function must not end its process (process.exit(), process.abort(), process.kill(process.pid)): return its result, or throw an Error to fail the call; if it does neither, a child process or native code it ran may have crashed it']);
  });

  it("the host's kill (a signal, or bwrap's 137 for its killed namespace) after a destroy request is SandboxDestroyed", () => {
    for (const [exitCode, signalCode] of [[137, null], [null, 'SIGKILL']] as const) {
      assert.equal(exitFailure({ ...facts, destroyRequested: true, exitCode, signalCode }).error.type, 'SandboxDestroyed');
    }
    assert.equal(exitFailure({ ...facts, destroyRequested: false, exitCode: 137, signalCode: null }).error.type, 'SandboxExited', 'not asked for');
  });

  it('out of memory wins over everything else', () => {
    assert.equal(exitFailure({ ...facts, oom: true, destroyRequested: true, exitCode: 137, signalCode: null }).status, 'oom');
  });

  it('an out-of-memory message names the limit, and how to raise it in the API and in the CLI', () => {
    const { error } = exitFailure({ ...facts, oom: true, destroyRequested: false, exitCode: 137, signalCode: null });
    assert.equal(
      error.message,
      `the function ran out of memory (limit ${facts.memoryMiB} MiB, limits.memoryMiB); use less memory or raise limits.memoryMiB ` +
        'when deploying the function (airlock deploy --memory-mib N; up to the operator maximum)',
    );
  });
});

describe('doneOutcome of a result read on the parser thread', () => {
  const frame: DoneFrame = { t: 'done', id: 'ex_1', ok: true, logs: [], logsTruncated: false };
  const req = request('export default () => 1', { resultBytes: 1024, maxResultDepth: 8 });

  it('carries the text as it came and parses the value only when it is read, once', () => {
    const json = '{"rows":[1,2,3],"text":"é"}';
    const outcome = doneOutcome(req, frame, 2, 200, { tooDeep: false, json, bytes: Buffer.byteLength(json) });
    assert.equal(outcome.status, 'succeeded');
    assert.equal(outcome.resultJson, json);
    const value = outcome.result;
    assert.deepEqual(value, { rows: [1, 2, 3], text: 'é' });
    assert.equal(outcome.result, value, 'parsed once');
    outcome.result = { masked: true }; // secret masking replaces it
    assert.deepEqual(outcome.result, { masked: true });
  });

  it('applies the depth verdict and the size limit the thread measured', () => {
    const deep = doneOutcome(req, frame, 2, 200, { tooDeep: true, json: '', bytes: 0 });
    assert.deepEqual([deep.status, deep.error?.type, deep.reusable], ['failed', 'ResultTooDeep', true]);
    const json = `"${'x'.repeat(2000)}"`;
    const large = doneOutcome(req, frame, 2, 2100, { tooDeep: false, json, bytes: 2002 });
    assert.deepEqual([large.status, large.error?.type, large.reusable], ['failed', 'ResultTooLarge', false]);
    assert.match(large.error!.message, /2002 bytes of JSON, above the limit of 1024 bytes/);
  });
});
