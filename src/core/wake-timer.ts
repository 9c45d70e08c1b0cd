// The sleep of a polling loop that another caller can cut short: wake() ends the sleep under way
// at once, and `woken` tells the loop that a wake came since its last reset(), so it does not
// go to sleep past one. (The job worker loops this way; so does PollingLoop, which the schedule
// runner and retention use.)
export interface WakeTimerOptions {
  /** Sleeps do not keep the process alive (a loop whose stop() also wakes it). Default false. */
  unref?: boolean;
}

export class WakeTimer {
  private wakeUp: (() => void) | undefined;
  private wokenSinceReset = false;
  private readonly unref: boolean;

  constructor(options: WakeTimerOptions = {}) {
    this.unref = options.unref ?? false;
  }

  /** A wake came since the last reset(). */
  get woken(): boolean {
    return this.wokenSinceReset;
  }

  reset(): void {
    this.wokenSinceReset = false;
  }

  wake(): void {
    this.wokenSinceReset = true;
    this.wakeUp?.();
  }

  /** Resolves after `ms`, or at the next wake(), whichever comes first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      if (this.unref) timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }
}
