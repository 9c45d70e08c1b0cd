// Decoding of compressed response bodies, as the standard fetch does. The broker asks for
// `accept-encoding: identity`, but some servers compress anyway; the body is then decoded on the
// host (gzip, deflate, br, in layers), never to more than the response cap, so a zip bomb is cut
// off like an oversized response. Headers stay as the server sent them (Node's fetch keeps
// content-encoding and content-length too). Runs on the thread pool: a large body does not
// block the host's event loop.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { AirlockError } from '../core/errors.js';

/** Most content codings one response may stack; more are refused rather than decoded. */
export const MAX_CONTENT_CODINGS = 3;

type Decoder = (body: Buffer, options: zlib.ZlibOptions & zlib.BrotliOptions) => Promise<Buffer>;

const gunzip = promisify(zlib.gunzip) as Decoder;
const inflate = promisify(zlib.inflate) as Decoder;
const inflateRaw = promisify(zlib.inflateRaw) as Decoder;
const brotli = promisify(zlib.brotliDecompress) as Decoder;

/** `deflate` is meant to be zlib-wrapped, but servers also send it raw (browsers accept both). */
const deflate: Decoder = (body, options) => ((body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0 ? inflate : inflateRaw)(body, options);

const DECODERS: Record<string, Decoder> = { gzip: gunzip, 'x-gzip': gunzip, deflate, br: brotli };

/** Statuses without a body to decode. */
const NO_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export interface DecodeRequest {
  method: string;
  status: number;
  headers: readonly [string, string][];
  body: Buffer;
  /** egress.limits.responseBytes: the decoded body may not be larger. */
  maxBytes: number;
  /** The error for a decoded body above maxBytes (the same as for an oversized response). */
  tooLarge: () => AirlockError;
}

/**
 * The body decoded according to its content-encoding, or as it is when there is nothing to
 * decode or a coding is unknown (fetch hands those over untouched). Rejects with EGRESS_LIMIT
 * when the decoded body would pass maxBytes and EGRESS_FAILED when it does not decode.
 */
export async function decodeBody(req: DecodeRequest): Promise<Buffer> {
  const header = req.headers.filter(([k]) => k === 'content-encoding').map(([, v]) => v).join(',');
  const codings = header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0 || req.body.length === 0 || req.method === 'HEAD' || NO_BODY_STATUSES.has(req.status)) return req.body;
  if (codings.some((c) => DECODERS[c] === undefined)) return req.body;
  if (codings.length > MAX_CONTENT_CODINGS) {
    throw new AirlockError(
      'EGRESS_FAILED',
      `the response has ${codings.length} content codings (${codings.join(', ')}); at most ${MAX_CONTENT_CODINGS} are decoded, so ask the server for fewer`,
    );
  }
  // The last coding applied is listed last, so it is undone first.
  let body = req.body;
  for (const coding of codings.reverse()) {
    try {
      body = await DECODERS[coding]!(body, {
        maxOutputLength: Math.max(1, req.maxBytes),
        // Like fetch: a stream cut short still yields what it holds rather than failing.
        ...(coding === 'br' ? {} : { finishFlush: zlib.constants.Z_SYNC_FLUSH }),
      });
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw req.tooLarge();
      throw new AirlockError('EGRESS_FAILED', `the response body could not be decoded (${coding}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (body.length > req.maxBytes) throw req.tooLarge();
  return body;
}
