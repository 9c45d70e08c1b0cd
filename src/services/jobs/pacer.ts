// Background work yields the event loop to foreground requests. Job slices, webhook deliveries
// and schedules share one event loop with the HTTP API: each slice costs queue transactions and
// frame handling on it. When the loop is saturated (utilization over the last window at or above
// the threshold) while foreground requests keep arriving (invocations, webhook ingest, API
// calls), the job worker starts one slice at a time of each queue lane (lane-room.ts) until the
// pressure has been gone for a few windows in a row (a loop so busy that requests arrive slowly
// must not flip back and forth), so a webhook burst is accepted at the rate the loop allows and
// its deliveries are processed one at a time meanwhile. Jobs always make progress: one slice keeps
// running whatever the load.
import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';

export interface PacerOptions {
  /** Utilization (0..1] at which background work yields; 1 or more: never yields. */
  saturation: number;
  /** Length of a measurement window, ms. */
  windowMs: number;
  /** Foreground requests per window below which the loop is left to background work. */
  minForeground: number;
  /** Windows in a row without pressure before background work stops yielding (default 3). */
  releaseWindows?: number;
}

export interface PacerClock {
  now(): number;
  /** performance.eventLoopUtilization() or a stand-in. */
  utilization(previous?: EventLoopUtilization): EventLoopUtilization;
}

const realClock: PacerClock = {
  now: () => performance.now(),
  utilization: (previous) => performance.eventLoopUtilization(previous),
};

export class ForegroundPacer {
  private readonly options: PacerOptions;
  private readonly clock: PacerClock;
  private windowStart: number;
  private mark: EventLoopUtilization;
  private foreground = 0;
  private yielding = false;
  /** Windows in a row judged without pressure while yielding. */
  private calm = 0;

  constructor(options: PacerOptions, clock: PacerClock = realClock) {
    this.options = options;
    this.clock = clock;
    this.windowStart = clock.now();
    this.mark = clock.utilization();
  }

  /** Called for every foreground request (e.g. from the HTTP server's `request` event). */
  noteForeground(): void {
    this.foreground++;
  }

  /** True while background work should yield (decided once per window). */
  get isYielding(): boolean {
    this.sample();
    return this.yielding;
  }

  private sample(): void {
    if (this.options.saturation >= 1) return;
    const now = this.clock.now();
    if (now - this.windowStart < this.options.windowMs) return;
    const used = this.clock.utilization(this.mark).utilization;
    const pressed = used >= this.options.saturation && this.foreground >= this.options.minForeground;
    this.calm = pressed ? 0 : this.calm + 1;
    this.yielding = pressed || (this.yielding && this.calm < (this.options.releaseWindows ?? 3));
    this.mark = this.clock.utilization();
    this.windowStart = now;
    this.foreground = 0;
  }
}
