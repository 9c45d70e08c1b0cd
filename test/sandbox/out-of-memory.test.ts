// ranOutOfMemory: which evidence makes a sandbox that exited mid-run `oom`. The kernel's OOM kill
// counter decides with a cgroup; V8's message (tenant-forgeable text) counts only when the
// cgroup's peak shows the whole heap was used; without a cgroup probe, V8's message decides.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ranOutOfMemory } from '../../src/sandbox/run-outcome.js';

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
