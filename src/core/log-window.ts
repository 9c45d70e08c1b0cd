// Rate limiting of warn lines by key: the first occurrence of a key in a window of `windowMs` is
// logged whole by the caller; the rest are only counted, and when the window ends one summary per
// key says how many more there were and the last one's id. At most `maxKeys` keys are followed in
// one window; occurrences of further keys are counted together in one overflow line. So a flood
// writes at most 2 × maxKeys + 1 lines per window. Used by the outcome log (executions that did not
// succeed) and the dead-job log.

export interface LogWindowOptions {
  /** Length of a window, ms. Default 10 000. */
  windowMs?: number;
  /** Keys followed in one window. Default 1 000. */
  maxKeys?: number;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
}

/** What a window learnt about one key whose occurrences were not all logged. */
export interface WindowSummary<S> {
  subject: S;
  /** Occurrences after the first, counted but not logged. */
  more: number;
  /** Since the first occurrence, seconds (one decimal). */
  seconds: number;
  lastId: string;
}

export interface LogWindowSinks<S> {
  /** One key's summary at the window's end (only keys with unlogged occurrences). */
  summary(s: WindowSummary<S>): void;
  /** Occurrences of keys beyond maxKeys, at the window's end. */
  overflow(count: number, seconds: number, maxKeys: number): void;
}

interface Followed<S> {
  subject: S;
  firstAt: number;
  more: number;
  lastId: string;
}

export class LogWindow<S> {
  private readonly sinks: LogWindowSinks<S>;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly followed = new Map<string, Followed<S>>();
  private overflowCount = 0;
  private overflowSince = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(sinks: LogWindowSinks<S>, options: LogWindowOptions = {}) {
    this.sinks = sinks;
    this.windowMs = Math.max(1, options.windowMs ?? 10_000);
    this.maxKeys = Math.max(1, options.maxKeys ?? 1_000);
    this.now = options.now ?? Date.now;
  }

  /**
   * One occurrence of `key` (`id` names it). True when it is the first of its key in this window:
   * the caller logs it whole. Otherwise it is counted for the window's summary.
   */
  admit(key: string, subject: () => S, id: string): boolean {
    const seen = this.followed.get(key);
    if (seen !== undefined) {
      seen.more++;
      seen.lastId = id;
      return false;
    }
    const now = this.now();
    if (this.followed.size >= this.maxKeys) {
      if (this.overflowCount === 0) this.overflowSince = now;
      this.overflowCount++;
      return false;
    }
    this.followed.set(key, { subject: subject(), firstAt: now, more: 0, lastId: id });
    this.arm();
    return true;
  }

  /** Ends the window: the summaries, then the overflow line. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    const seconds = (since: number): number => Math.max(0, Math.round((now - since) / 100) / 10);
    for (const f of this.followed.values()) {
      if (f.more > 0) this.sinks.summary({ subject: f.subject, more: f.more, seconds: seconds(f.firstAt), lastId: f.lastId });
    }
    this.followed.clear();
    if (this.overflowCount > 0) {
      this.sinks.overflow(this.overflowCount, seconds(this.overflowSince), this.maxKeys);
      this.overflowCount = 0;
    }
  }

  /** Logs what is left (at shutdown) and stops the timer. */
  close(): void {
    this.flush();
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.windowMs);
    this.timer.unref();
  }
}
