// Content codings (`Content-Encoding`) the host undoes: gzip, deflate and br, stacked up to
// MAX_CONTENT_CODINGS. Shared by the egress broker (responses to ctx.fetch) and webhook
// deliveries. `deflate` is meant to be zlib-wrapped, but some senders send it raw (browsers accept
// both), so the zlib header decides. Decoding runs on libuv's thread pool and never past the
// caller's byte limit, so a small body that inflates to gigabytes is cut off, not decoded.
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/** Most codings one body may stack; more are refused rather than decoded. */
export const MAX_CONTENT_CODINGS = 3;

type Decoder = (body: Buffer, options: zlib.ZlibOptions & zlib.BrotliOptions) => Promise<Buffer>;

const gunzip = promisify(zlib.gunzip) as Decoder;
const inflate = promisify(zlib.inflate) as Decoder;
const inflateRaw = promisify(zlib.inflateRaw) as Decoder;
const brotli = promisify(zlib.brotliDecompress) as Decoder;

/** True when `body` starts with a zlib header (RFC 1950: method 8, header check a multiple of 31). */
function zlibWrapped(body: Buffer): boolean {
  return body.length >= 2 && (body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0;
}

const deflate: Decoder = (body, options) => (zlibWrapped(body) ? inflate : inflateRaw)(body, options);

const DECODERS: Readonly<Record<string, Decoder>> = { gzip: gunzip, 'x-gzip': gunzip, deflate, br: brotli };

/** The codings a Content-Encoding value lists, first applied first, lower-cased, identity left out. */
export function contentCodings(header: string | readonly string[] | undefined): string[] {
  const text = typeof header === 'string' ? header : (header ?? []).join(',');
  return text
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

/** Whether the host can undo `coding`. */
export function decodable(coding: string): boolean {
  return Object.hasOwn(DECODERS, coding);
}

/** Why a body did not decode: over the byte limit, or not valid data for `coding`. */
export class ContentDecodeError extends Error {
  readonly coding: string;
  readonly tooLarge: boolean;

  constructor(coding: string, tooLarge: boolean, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'ContentDecodeError';
    this.coding = coding;
    this.tooLarge = tooLarge;
  }
}

export interface DecodeOptions {
  /** The decoded body may not be larger (ContentDecodeError with tooLarge). */
  maxBytes: number;
  /** Yield what a stream cut short holds instead of failing (fetch does this for responses). */
  lenient?: boolean;
}

/**
 * `body` with `codings` (as contentCodings lists them, all decodable) undone, the last applied
 * first. Rejects with ContentDecodeError.
 */
export async function decodeContent(body: Buffer, codings: readonly string[], options: DecodeOptions): Promise<Buffer> {
  let out = body;
  for (const coding of [...codings].reverse()) {
    const decoder = DECODERS[coding];
    if (decoder === undefined) throw new ContentDecodeError(coding, false, new Error(`unknown content coding ${JSON.stringify(coding)}`));
    try {
      out = await decoder(out, {
        maxOutputLength: Math.max(1, options.maxBytes),
        ...(options.lenient === true && coding !== 'br' ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {}),
      });
    } catch (err) {
      throw new ContentDecodeError(coding, (err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE', err);
    }
  }
  return out;
}
