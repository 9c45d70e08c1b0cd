// The rolling end of one execution's logs (see LogCollector in logs.ts): once the logs outgrow
// their first half, later lines go here, and the window keeps the newest whole lines that fit in
// its byte budget. The oldest lines leave it whole, never cut, and are counted as left out, with
// the lines the sandbox itself reported leaving out; the collector's marker line gives the counts.
import type { LogLine } from '../core/types.js';

export class TailWindow {
  /** Left-out slots are emptied at once (a left-out line's text is never held). */
  private lines: (LogLine | undefined)[] = [];
  /** What each line in `lines` was charged against `cap`. */
  private costs: number[] = [];
  /** Index of the oldest line still in the window (lines before it are left out). */
  private start = 0;
  private bytes = 0;
  /** Whole lines left out before the window, and the bytes of their text. */
  leftOutLines = 0;
  leftOutBytes = 0;

  /** The window's byte budget. */
  readonly cap: number;
  constructor(cap: number) {
    this.cap = cap;
  }

  /** Adds the newest line, costing `cost` (at most cap), leaving out the oldest lines it displaces. */
  push(line: LogLine, cost: number): void {
    while (this.start < this.lines.length && this.bytes + cost > this.cap) this.dropOldest();
    this.lines.push(line);
    this.costs.push(cost);
    this.bytes += cost;
    // Compact now and then, so a long run's window holds only the lines it keeps.
    if (this.start > 1024 && this.start * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.start);
      this.costs = this.costs.slice(this.start);
      this.start = 0;
    }
  }

  /** Leaves out every line in the window, then `lines` more of `bytes` bytes (written after them). */
  leaveOut(lines: number, bytes: number): void {
    while (this.start < this.lines.length) this.dropOldest();
    this.leftOutLines += lines;
    this.leftOutBytes += bytes;
  }

  /** The lines in the window, oldest first (a copy). */
  kept(): LogLine[] {
    return this.lines.slice(this.start) as LogLine[];
  }

  private dropOldest(): void {
    this.bytes -= this.costs[this.start]!;
    this.leftOutBytes += Buffer.byteLength(this.lines[this.start]!.msg, 'utf8');
    this.lines[this.start] = undefined;
    this.leftOutLines += 1;
    this.start += 1;
  }
}
