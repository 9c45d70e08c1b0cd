// Host-side log handling for one execution: escapes terminal control sequences and control
// characters (tenants must not be able to forge lines or repaint an operator's terminal), splits
// raw stdout/stderr bytes into lines, and caps the total at the execution's logBytes. Logs over
// the cap keep their first lines (about half the cap) and their newest whole lines (the rest, a
// rolling window: log-tail.ts), with one "[logs truncated: …]" line between them that counts the
// lines left out and names the limit and how to raise it; a single line longer than the room left
// is cut and ends with "…". Every line costs its JSON text (as the record stores it) and
// LOG_LINE_OVERHEAD bytes more, as the harness charges it and the README says, so a flood
// of empty lines (raw "\n"s, or a frame of empty entries) is capped like any other output. The
// harness keeps its logs the same way inside the sandbox; this is the cap that holds whatever the
// sandbox sends.
import { StringDecoder } from 'node:string_decoder';
import type { LogLine } from '../core/types.js';
import { TailWindow } from './log-tail.js';

/** How every truncation marker line starts. */
export const TRUNCATION_MARKER = '[logs truncated';

/**
 * The line between the first and the last lines of an execution's logs cut at `capBytes`: how
 * many lines (and bytes of text) were left out there, which limit, and how to raise it. With no
 * line left out, a line was cut (it ends with CUT_MARK).
 */
export function truncationMarker(capBytes: number, leftOutLines = 0, leftOutBytes = 0): string {
  const what =
    leftOutLines > 0
      ? `${grouped(leftOutLines)} ${leftOutLines === 1 ? 'line' : 'lines'} (${grouped(leftOutBytes)} bytes) left out here, ` +
        'between the first and the last lines it logged'
      : `a line too long for what was left of it was cut and ends with ${CUT_MARK}`;
  return (
    `${TRUNCATION_MARKER}: the execution logged more than limits.logBytes (${capBytes} bytes); ${what}; log less, or raise ` +
    'limits.logBytes when deploying the function (airlock deploy --log-bytes N; up to the operator maximum)]'
  );
}

/** 1412 as "1,412". */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Bytes each line costs besides its JSON text (the harness charges the same): without it, lines with
 * no text were free, and one MiB of raw newlines made a million log entries (a 49 MB answer and
 * stored record) under a 64 KiB logBytes.
 */
export const LOG_LINE_OVERHEAD = 12;

/** Ends a line cut at the cap (the harness ends the lines it cuts the same way). */
export const CUT_MARK = '…';

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), and two-byte ESC sequences: removed whole.
// Its 8-bit forms (U+009B CSI, U+009D OSC) are C1 controls and get escaped below.
const ANSI_SEQUENCE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
// Remaining controls except \n and \t: C0, DEL, C1, line/paragraph separators, bidi overrides.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Removes ANSI escape sequences and escapes every other control character except \n and \t. */
export function escapeLogText(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(ANSI_SEQUENCE, '').replace(CONTROL, escapeChar);
}

/** A line cut to at most maxBytes of UTF-8, ending with CUT_MARK; '' when no character fits with it. */
export function cutLine(text: string, maxBytes: number): string {
  const kept = truncateUtf8(text, maxBytes - Buffer.byteLength(CUT_MARK, 'utf8'));
  return kept === '' ? '' : kept + CUT_MARK;
}

/** What a line costs: its JSON text and LOG_LINE_OVERHEAD. */
function lineCost(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8') + LOG_LINE_OVERHEAD;
}

/** A line cut (as cutLine cuts it) so that it costs at most `maxCost`; '' when no character fits. */
function cutToCost(text: string, maxCost: number): string {
  let maxBytes = maxCost - LOG_LINE_OVERHEAD - 2; // its JSON text has two quotes at least
  for (;;) {
    const cut = cutLine(text, maxBytes);
    const over = cut === '' ? 0 : lineCost(cut) - maxCost;
    if (over <= 0) return cut;
    maxBytes -= over; // escaped characters: shorter until it fits
  }
}

/** Cuts a string to at most maxBytes of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const cut = Buffer.from(text, 'utf8').subarray(0, Math.max(0, maxBytes)).toString('utf8');
  // A split multi-byte character decodes to U+FFFD at the end: drop it.
  return cut.endsWith('\ufffd') ? cut.slice(0, -1) : cut;
}

type RawStream = 'stdout' | 'stderr';

/** Newlines in text[from, to), by a plain loop (a flood of empty lines is one per character). */
function countNewlines(text: string, from: number, to: number): number {
  let lines = 0;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) lines++;
  return lines;
}

/**
 * Collects the log lines of one execution under one byte budget (JSON text plus LOG_LINE_OVERHEAD
 * per line): the first lines while they fit in half of it, then the newest lines that fit in the rest.
 */
export class LogCollector {
  private readonly head: LogLine[] = [];
  private headBytes = 0;
  /** The newest lines, once a line did not fit in the head (then no later line goes there). */
  private tail: TailWindow | null = null;
  private truncated = false;
  private readonly partial: Record<RawStream, string> = { stdout: '', stderr: '' };
  private readonly decoders: Record<RawStream, StringDecoder> = {
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };
  private readonly cap: number;
  private readonly now: () => number;
  /**
   * The complete raw lines of the newest chunk once the tail is in use, not added yet: in a flood
   * the next chunk alone holds more lines than the tail keeps, and these are then left out with a
   * count instead of each being escaped and measured (which kept the server's event loop busy).
   * Added, with the time they arrived, before anything else is.
   */
  private pending: { stream: RawStream; text: string; ts: number } | null = null;

  constructor(capBytes: number, now: () => number = Date.now) {
    this.cap = Math.max(0, capBytes);
    this.now = now;
  }

  /** Adds one line (escaped; cut to the tail's whole budget when even that is too small for it). */
  add(level: LogLine['level'], msg: string, ts: number = this.now()): void {
    this.addPending();
    this.addLine(level, msg, ts);
  }

  private addLine(level: LogLine['level'], msg: string, ts: number): void {
    let text = escapeLogText(msg);
    let cost = lineCost(text);
    if (this.tail === null) {
      if (this.headBytes + cost <= Math.floor(this.cap / 2)) {
        this.headBytes += cost;
        this.head.push({ ts, level, msg: text });
        return;
      }
      this.tail = new TailWindow(this.cap - this.headBytes);
    }
    if (cost > this.tail.cap) {
      this.truncated = true;
      const whole = Buffer.byteLength(text, 'utf8');
      text = cutToCost(text, this.tail.cap);
      // Not even a character fits: the line is left out, and so is every line before it.
      if (text === '') return this.tail.leaveOut(1, whole);
      cost = lineCost(text);
    }
    this.tail.push({ ts, level, msg: text }, cost);
  }

  /**
   * The sandbox left out `lines` lines of `bytes` bytes after the lines it sent so far: every
   * line collected since the head is left out too (the kept tail must run to the newest line).
   */
  leaveOut(lines: number, bytes: number): void {
    this.addPending();
    this.truncated = true;
    this.tail ??= new TailWindow(this.cap - this.headBytes);
    this.tail.leaveOut(lines, bytes);
  }

  /**
   * Raw bytes read from the sandbox's fd 1 or 2: complete lines are added as they arrive, and once
   * the tail is in use, a chunk's lines when the next output comes (see `pending`).
   */
  addRaw(stream: RawStream, chunk: Buffer): void {
    let text = this.partial[stream] + this.decoders[stream].write(chunk);
    let from = 0;
    let newline = text.indexOf('\n');
    while (newline >= 0 && this.tail === null) {
      this.add(stream, text.slice(from, newline));
      from = newline + 1;
      newline = text.indexOf('\n', from);
    }
    if (newline >= 0) {
      const end = text.lastIndexOf('\n') + 1;
      const start = this.skipLinesBeforeTail(text, from, end);
      this.pending = start < end ? { stream, text: text.slice(start, end), ts: this.now() } : null;
      from = end;
    }
    text = text.slice(from);
    // An unterminated line longer than the whole budget is flushed now (never buffered unbounded).
    if (text.length > this.cap) {
      this.add(stream, text);
      text = '';
    }
    this.partial[stream] = text;
  }

  /**
   * Where the complete lines of text[from, end) that may still be kept start: of more lines than
   * the tail can hold (each costs at least LOG_LINE_OVERHEAD), the earlier ones are left out unread
   * (their bytes as written), and so are the lines still pending, which are older; otherwise the
   * pending lines are added now. A flood of raw lines costs the host a count, not an escape per line.
   */
  private skipLinesBeforeTail(text: string, from: number, end: number): number {
    // The newline ending the line before the last cap / LOG_LINE_OVERHEAD ones, if at or after `from`.
    let newline = end;
    for (let n = Math.floor(this.tail!.cap / LOG_LINE_OVERHEAD); n >= 0; n--) {
      newline = newline > from ? text.lastIndexOf('\n', newline - 1) : -1;
      if (newline < from) {
        this.addPending(); // not that many lines
        return from;
      }
    }
    const lines = countNewlines(text, from, newline + 1) + this.pendingLines();
    const bytes = Buffer.byteLength(text.slice(from, newline + 1), 'utf8') + (this.pending === null ? 0 : Buffer.byteLength(this.pending.text, 'utf8'));
    this.pending = null;
    this.truncated = true;
    this.tail!.leaveOut(lines, bytes - lines);
    return newline + 1;
  }

  private pendingLines(): number {
    return this.pending === null ? 0 : countNewlines(this.pending.text, 0, this.pending.text.length);
  }

  /** Adds the pending raw lines (before any later line, count or answer). */
  private addPending(): void {
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    const { stream, text, ts } = pending;
    for (let from = 0, newline = text.indexOf('\n'); newline >= 0; from = newline + 1, newline = text.indexOf('\n', from)) {
      this.addLine(stream, text.slice(from, newline), ts);
    }
  }

  /** The complete lines collected so far, as finish() would give them (an unterminated raw line is not one yet). */
  soFar(): LogLine[] {
    this.addPending();
    return this.assemble();
  }

  /** Notes that the sandbox itself cut or dropped log output over the budget. */
  markTruncated(): void {
    this.truncated = true;
  }

  /** Flushes unterminated raw lines and returns the lines, with the marker when truncated. */
  finish(): LogLine[] {
    this.addPending();
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream] + this.decoders[stream].end();
      this.partial[stream] = '';
      if (rest !== '') this.add(stream, rest);
    }
    return this.assemble();
  }

  /** The head, the marker (when anything was cut or left out), then the tail. */
  private assemble(): LogLine[] {
    const tail = this.tail?.kept() ?? [];
    const leftOutLines = this.tail?.leftOutLines ?? 0;
    if (!this.truncated && leftOutLines === 0) return [...this.head, ...tail];
    // The marker sits where the gap is in time too: just before the first line after it.
    const marker: LogLine = { ts: tail[0]?.ts ?? this.now(), level: 'warn', msg: truncationMarker(this.cap, leftOutLines, this.tail?.leftOutBytes ?? 0) };
    return [...this.head, marker, ...tail];
  }
}
