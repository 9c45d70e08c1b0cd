// What a sandbox's memory figures say about a run that went wrong: at its deadline, its peak
// against its ceiling (a run near its ceiling looks slow because V8 collects garbage over and
// over); after an exit mid-run, whether it ran out of memory (the kernel's OOM counter when the
// isolator has one, else V8's own message). The figures come from the isolator (cgroups).
import type { ChannelOptions } from './channel-options.js';
import { ranOutOfMemory } from './run-outcome.js';
import type { MemoryAtTimeout } from './run-outcome.js';

export class MemoryWatch {
  private readonly memoryMiB: number;
  private readonly oomKilled: (() => boolean) | undefined;
  private readonly peakBytes: (() => number | undefined) | undefined;
  private readonly ceilingBytes: number | undefined;

  constructor(opts: Pick<ChannelOptions, 'memoryMiB' | 'oomKilled' | 'memoryPeakBytes' | 'memoryCeilingBytes'>) {
    this.memoryMiB = opts.memoryMiB;
    this.oomKilled = opts.oomKilled;
    this.peakBytes = opts.memoryPeakBytes;
    this.ceilingBytes = opts.memoryCeilingBytes;
  }

  /** The sandbox's memory when a run timed out; undefined without cgroup figures. */
  atDeadline(): MemoryAtTimeout | undefined {
    const ceiling = this.ceilingBytes;
    const peak = ceiling === undefined ? undefined : this.peakBytes?.();
    return peak === undefined || ceiling === undefined ? undefined : { peakBytes: peak, ceilingBytes: ceiling, memoryMiB: this.memoryMiB };
  }

  /** Whether the process that exited mid-run ran out of memory; `v8Reported`: V8's fatal message was seen. */
  ranOut(v8Reported: boolean): boolean {
    return ranOutOfMemory({ kernelOomKill: this.oomKilled?.(), v8Reported, peakBytes: this.peakBytes?.(), memoryMiB: this.memoryMiB });
  }
}
