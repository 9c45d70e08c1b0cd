// Host-side codec for the length-prefixed frames on the sandbox channel (fd 3): a 4-byte
// big-endian length, then that many bytes of UTF-8 JSON. The decoder enforces a hard cap on the
// declared length before buffering any body, so a hostile sandbox cannot make the host allocate.

export const FRAME_HEADER_BYTES = 4;

/** Raised by the decoder; the channel turns it into a SandboxProtocolError. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Encodes one frame from an already-serialized JSON string. */
export function encodeFrame(json: string): Buffer {
  const bodyLength = Buffer.byteLength(json, 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyLength);
  frame.writeUInt32BE(bodyLength, 0);
  frame.write(json, FRAME_HEADER_BYTES, 'utf8');
  return frame;
}

/**
 * Incremental decoder. push() returns the complete frame bodies now available and throws
 * FrameError as soon as a header declares more than maxBytes. The cap can change between frames
 * (it depends on the execution in flight).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;
  maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) break;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxBytes) {
          throw new FrameError(`frame of ${length} bytes exceeds the cap of ${this.maxBytes} bytes`);
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      out.push(this.take(this.expected));
      this.expected = -1;
    }
    return out;
  }

  /** Bytes received but not yet returned as frames. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }
}

/** What a validator of an inbound frame answers: the typed frame, or why it was refused. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
