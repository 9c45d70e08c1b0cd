// Host-side log handling for one execution: escapes terminal control sequences and control
// characters (tenants must not be able to forge lines or repaint an operator's terminal), splits
// raw stdout/stderr bytes into lines, and caps the total at the execution's logBytes: the line
// that crosses the cap is cut and ends with "…", and a final "[logs truncated: …]" line names the
// limit and how to raise it. Every line costs LOG_LINE_OVERHEAD bytes besides its text, so a flood
// of empty lines (raw "\n"s, or a frame of empty entries) is capped like any other output. The
// harness cuts the same way inside the sandbox; this is the cap that holds whatever the sandbox sends.
import { StringDecoder } from 'node:string_decoder';
import type { LogLine } from '../core/types.js';

/** How every truncation marker line starts. */
export const TRUNCATION_MARKER = '[logs truncated';

/** The closing line of an execution's logs cut at `capBytes`: which limit, and how to raise it. */
export function truncationMarker(capBytes: number): string {
  return (
    `${TRUNCATION_MARKER}: the execution logged more than limits.logBytes (${capBytes} bytes); log less, or raise ` +
    'limits.logBytes when deploying the function (airlock deploy --log-bytes N; up to the operator maximum)]'
  );
}

/**
 * Bytes each line costs besides its text (the harness charges the same): without it, lines with
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

/** Cuts a string to at most maxBytes of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const cut = Buffer.from(text, 'utf8').subarray(0, Math.max(0, maxBytes)).toString('utf8');
  // A split multi-byte character decodes to U+FFFD at the end: drop it.
  return cut.endsWith('\ufffd') ? cut.slice(0, -1) : cut;
}

type RawStream = 'stdout' | 'stderr';

/** Collects the log lines of one execution under one byte budget (text plus LOG_LINE_OVERHEAD per line). */
export class LogCollector {
  private readonly lines: LogLine[] = [];
  private bytes = 0;
  private truncated = false;
  private readonly partial: Record<RawStream, string> = { stdout: '', stderr: '' };
  private readonly decoders: Record<RawStream, StringDecoder> = {
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };
  private readonly cap: number;
  private readonly now: () => number;

  constructor(capBytes: number, now: () => number = Date.now) {
    this.cap = Math.max(0, capBytes);
    this.now = now;
  }

  get full(): boolean {
    return this.truncated;
  }

  /** Adds one line (escaped, then cut to the remaining budget). */
  add(level: LogLine['level'], msg: string, ts: number = this.now()): void {
    if (this.truncated) return;
    let text = escapeLogText(msg);
    const cost = Buffer.byteLength(text, 'utf8') + LOG_LINE_OVERHEAD;
    if (this.bytes + cost > this.cap) {
      this.truncated = true;
      text = cutLine(text, this.cap - this.bytes - LOG_LINE_OVERHEAD);
      if (text === '') return;
    }
    this.bytes += Buffer.byteLength(text, 'utf8') + LOG_LINE_OVERHEAD;
    this.lines.push({ ts, level, msg: text });
  }

  /** Raw bytes read from the sandbox's fd 1 or 2; complete lines are added as they arrive. */
  addRaw(stream: RawStream, chunk: Buffer): void {
    if (this.truncated) return;
    let text = this.partial[stream] + this.decoders[stream].write(chunk);
    let newline = text.indexOf('\n');
    while (newline >= 0 && !this.truncated) {
      this.add(stream, text.slice(0, newline));
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
    // An unterminated line longer than the whole budget is flushed now (never buffered unbounded).
    if (text.length > this.cap) {
      this.add(stream, text);
      text = '';
    }
    this.partial[stream] = this.truncated ? '' : text;
  }

  /** The complete lines collected so far (a copy; an unterminated raw line is not one yet). */
  soFar(): LogLine[] {
    return this.lines.slice();
  }

  /** Notes that the sandbox itself dropped log output over the budget. */
  markTruncated(): void {
    this.truncated = true;
  }

  /** Flushes unterminated raw lines and returns the lines, with the marker when truncated. */
  finish(): LogLine[] {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream] + this.decoders[stream].end();
      this.partial[stream] = '';
      if (rest !== '') this.add(stream, rest);
    }
    if (this.truncated) this.lines.push({ ts: this.now(), level: 'warn', msg: truncationMarker(this.cap) });
    return this.lines;
  }
}
