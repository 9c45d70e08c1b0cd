// The frames of one sandbox, handed on in the order they came, with large `done` frames read on
// the server's parser thread (core/json-thread/sandbox-frame.ts). A multi-MiB result used to cost
// the event loop, which every tenant's calls share, its parse and a serialization (≈ 50 ms for
// 4.2 MiB); on the thread, the event loop gets the frame without its result plus the result's JSON
// text. While such a frame is read there, the frames that came after it wait here; once it is
// back, it and they are handed on in order; meanwhile the channel stops reading (`pause`), so a
// sandbox that floods frames behind a large one fills its socket and waits, instead of the host's
// memory. Every frame still goes through the same checks (inbound.ts checkFrame): the thread
// only parses.
import type { CheckedResultText, SandboxFrameReader } from '../core/json-thread/parser.js';
import type { SandboxToHostFrame } from '../runtime/protocol.js';
import type { Parsed } from './frames.js';
import { checkFrame, parseFrame } from './inbound.js';

/** Frames from this size up are read on the parser thread, if they are `done` frames. */
export const OFF_THREAD_FRAME_BYTES = 64 * 1024;

/** How the harness starts every done frame (runtime/harness/answer.ts); other spellings are read here. */
const DONE_PREFIX = Buffer.from('{"t":"done"');

export interface FrameRead {
  parsed: Parsed<SandboxToHostFrame>;
  /** The frame's size on the wire. */
  bytes: number;
  /** When it came (performance.now()): a run's duration ends there, not after the thread's read. */
  arrivedAt: number;
  /** The result of a done frame read on the thread (the frame in `parsed` then has none). */
  checked?: CheckedResultText;
}

export interface FrameReadsOptions {
  /** The parser thread; without it every frame is read here. */
  reader: SandboxFrameReader | undefined;
  /** Whose turn a frame read on the thread waits for, and the run's result depth limit; undefined: read here. */
  run: () => { tenant: string; maxResultDepth: number } | undefined;
  deliver: (read: FrameRead) => void;
  /** Stops (true) and restarts (false) reading the sandbox's frame channel. */
  pause: (paused: boolean) => void;
  /** True when frames are no longer wanted (a killed sandbox): they are dropped unread. */
  discard: () => boolean;
}

/** A frame that came while another was read on the thread, and when it came. */
interface HeldFrame {
  body: Buffer;
  arrivedAt: number;
}

export class OrderedFrameReads {
  readonly #options: FrameReadsOptions;
  /** Frames that came while one is read on the thread; null when none is. */
  #held: HeldFrame[] | null = null;
  #whenIdle: (() => void)[] = [];

  constructor(options: FrameReadsOptions) {
    this.#options = options;
  }

  /** Whether a frame is being read on the thread (the frames after it wait). */
  get reading(): boolean {
    return this.#held !== null;
  }

  push(body: Buffer): void {
    const arrivedAt = performance.now();
    if (this.#held !== null) this.#held.push({ body, arrivedAt });
    else this.#read(body, arrivedAt);
  }

  /** Resolves once no frame is read on the thread and none waits (at once if so now). */
  idle(): Promise<void> {
    if (this.#held === null) return Promise.resolve();
    return new Promise((resolve) => this.#whenIdle.push(resolve));
  }

  #read(body: Buffer, arrivedAt: number): void {
    if (this.#options.discard()) return;
    const run = this.#options.run();
    const reader = this.#options.reader;
    if (reader === undefined || run === undefined || body.length < OFF_THREAD_FRAME_BYTES || !startsWith(body, DONE_PREFIX)) {
      this.#options.deliver({ parsed: parseFrame(body), bytes: body.length, arrivedAt });
      return;
    }
    const bytes = body.length;
    this.#held = [];
    this.#options.pause(true);
    reader.readFrame(body, run.tenant, run.maxResultDepth).then(
      (read) => {
        if (read.kind === 'malformed') return this.#resume({ parsed: { ok: false, reason: read.reason }, bytes, arrivedAt });
        if (read.kind === 'whole') return this.#resume({ parsed: checkFrame(read.value), bytes, arrivedAt });
        return this.#resume({ parsed: checkFrame(read.head), bytes, arrivedAt, checked: read.result });
      },
      (err: unknown) => {
        // The thread failed (or the server is stopping): the frame is gone with it, and the
        // sandbox, whose state the host no longer knows, is destroyed like one that sent a bad frame.
        const why = err instanceof Error ? err.message : String(err);
        this.#resume({ parsed: { ok: false, reason: `the host could not read it: ${why}` }, bytes, arrivedAt });
      },
    );
  }

  /** Hands on the frame read on the thread, then those that waited, until one is read there again. */
  #resume(read: FrameRead): void {
    const held = this.#held ?? [];
    this.#held = null;
    this.#options.deliver(read);
    while (held.length > 0 && !this.reading) {
      const next = held.shift()!;
      this.#read(next.body, next.arrivedAt);
    }
    // Another large done frame went to the thread: the rest wait behind it, in order.
    if (this.#held !== null) (this.#held as HeldFrame[]).push(...held);
    else {
      this.#options.pause(false);
      for (const resolve of this.#whenIdle.splice(0)) resolve();
    }
  }
}

function startsWith(body: Buffer, prefix: Buffer): boolean {
  return body.length >= prefix.length && body.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
