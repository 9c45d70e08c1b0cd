// Work a warm sandbox does outside its runs: a timer, worker thread or child process that a
// function left running after it returned keeps going while the sandbox waits for its tenant's
// next call, on CPU no execution accounts for (it could mine for as long as the tenant calls
// once per idle TTL). At each of the pool's sweeps, this compares the CPU time the sandbox's
// cgroup used since the last look (at least a second before) with the time it spent serving
// calls: what goes beyond the calls' wall time (at the sandbox's CPU quota) plus `percent` of a
// core, two looks in a row, marks the sandbox; the pool then retires it as soon as it is idle. A run's own work never
// counts (it is inside the busy time), nor does a moment of the runtime's housekeeping between
// calls (well under a tenth of a core over a second). Without cgroup CPU accounting nothing is
// measured.
import type { Sandbox } from './port.js';

export interface BackgroundWatchOptions {
  /** Share of one core a sandbox may use outside its calls, percent (0: never checked). */
  percent: number;
  /** The sandbox's CPU quota, cores: what a busy sandbox may use per second of its calls. */
  cpus: number;
}

/** What the watch needs to know of a pool entry at a sweep. */
export interface WatchedSandbox {
  sandbox: Sandbox;
  /** Wall time it has spent with calls in it, ms, so far (a running total). */
  busyMs: number;
}

/** A sandbox found working outside its calls: the CPU it used beyond its allowance, ms, in the last two sweeps. */
export interface BackgroundWork {
  sandbox: Sandbox;
  excessCpuMs: number;
  overMs: number;
}

interface Sample {
  cpuNs: number;
  busyMs: number;
  at: number;
  /** Sweeps in a row that found it over its allowance, and what it used beyond it meanwhile. */
  strikes: number;
  excessMs: number;
  sinceAt: number;
}

/** Sweeps in a row a sandbox must be over its allowance before it is marked. */
const STRIKES = 2;
/** Shortest time a comparison spans, ms: over less, a moment of housekeeping would look like a lot. */
const MIN_WINDOW_MS = 1_000;

export class BackgroundWatch {
  readonly #options: BackgroundWatchOptions;
  readonly #samples = new WeakMap<Sandbox, Sample>();

  constructor(options: BackgroundWatchOptions) {
    this.#options = options;
  }

  get enabled(): boolean {
    return this.#options.percent > 0;
  }

  /** One sweep over the pool's tenant-bound sandboxes; answers those to retire, each once. */
  sweep(sandboxes: Iterable<WatchedSandbox>, now = performance.now()): BackgroundWork[] {
    const found: BackgroundWork[] = [];
    if (!this.enabled) return found;
    for (const { sandbox, busyMs } of sandboxes) {
      const last = this.#samples.get(sandbox);
      if (last !== undefined && now - last.at < MIN_WINDOW_MS) continue;
      const cpuNs = sandbox.cpuUsageNs();
      if (cpuNs === undefined) continue;
      const sample: Sample = { cpuNs, busyMs, at: now, strikes: 0, excessMs: 0, sinceAt: now };
      this.#samples.set(sandbox, sample);
      if (last === undefined || now <= last.at) continue;
      const usedMs = (cpuNs - last.cpuNs) / 1e6;
      const allowanceMs = (busyMs - last.busyMs) * this.#options.cpus + ((now - last.at) * this.#options.percent) / 100;
      if (usedMs <= allowanceMs) continue;
      sample.strikes = last.strikes + 1;
      sample.excessMs = last.excessMs + (usedMs - allowanceMs);
      sample.sinceAt = last.strikes === 0 ? last.at : last.sinceAt;
      if (sample.strikes === STRIKES) found.push({ sandbox, excessCpuMs: Math.round(sample.excessMs), overMs: Math.round(now - sample.sinceAt) });
    }
    return found;
  }
}
