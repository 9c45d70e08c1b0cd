// A background loop that polls: start() runs its pass at once and again after the wait each pass
// answers, wake() cuts the wait short, stop() ends it after the pass under way. serial() runs a
// pass on demand (tests, a nudge) queued behind the one under way, so passes never overlap. The
// schedule runner and the retention purger loop this way.
import { WakeTimer } from './wake-timer.js';
import type { WakeTimerOptions } from './wake-timer.js';

export class PollingLoop {
  private readonly pass: () => Promise<number>;
  private readonly alarm: WakeTimer;
  private chain: Promise<unknown> = Promise.resolve();
  private started = false;
  private stopped = false;
  private done: Promise<void> | undefined;

  /** `pass` does one round of work and answers how long to wait before the next, ms. */
  constructor(pass: () => Promise<number>, options: WakeTimerOptions = {}) {
    this.pass = pass;
    this.alarm = new WakeTimer(options);
  }

  /** stop() was called: work under way should end at its next safe point. */
  get stopping(): boolean {
    return this.stopped;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.done = this.loop();
  }

  /** Ends the wait under way (or the next one) now. */
  wake(): void {
    this.alarm.wake();
  }

  /** Resolves once the loop has ended and no serial() work is left running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.done;
    await this.chain.catch(() => {});
  }

  /** Runs `work` after whatever serial() work is under way. */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work);
    this.chain = next.catch(() => {});
    return next;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.alarm.reset();
      const waitMs = await this.pass();
      if (this.stopped) break;
      if (!this.alarm.woken) await this.alarm.sleep(waitMs);
    }
  }
}
