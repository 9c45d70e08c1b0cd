// The frames a channel writes to its sandbox, written at once, or held while one of the sandbox's
// answers is read on the JSON thread (frame-reads.ts) and then written in order. Holding also
// stops reading the sandbox's frames: while an answer is read, the sandbox gets nothing new to run
// (a run queued meanwhile starts once the answer is back, its time counted from then), and a
// flood of frames behind the answer waits in the sandbox's socket, not in the host's memory.
import type { Duplex } from 'node:stream';

export class FrameWrites {
  readonly #stream: Duplex;
  #held: { frame: Buffer; flushed: (() => void) | undefined }[] | null = null;

  constructor(stream: Duplex) {
    this.#stream = stream;
  }

  /** Writes `frame` (held while holding); `flushed` is called once it has left the host. */
  write(frame: Buffer, flushed?: () => void): void {
    if (this.#held !== null) this.#held.push({ frame, flushed });
    else this.#stream.write(frame, flushed === undefined ? undefined : () => flushed());
  }

  hold(): void {
    this.#held = [];
    this.#stream.pause();
  }

  /** Writes what was held, in order (unless `drop`: the sandbox is gone), and reads again. */
  release(drop: boolean): void {
    const held = this.#held ?? [];
    this.#held = null;
    if (!drop) for (const { frame, flushed } of held) this.write(frame, flushed);
    this.#stream.resume();
  }
}
