// Decoding of compressed response bodies, as the standard fetch does. The broker asks for
// `accept-encoding: identity`, but some servers compress anyway; the body is then decoded on the
// host (gzip, deflate, br, in layers), never to more than the response cap, so a zip bomb is cut
// off like an oversized response. Headers stay as the server sent them (Node's fetch keeps
// content-encoding and content-length too). Runs on the thread pool: a large body does not
// block the host's event loop.
import { AirlockError } from '../core/errors.js';
import { contentCodings, ContentDecodeError, decodable, decodeContent, MAX_CONTENT_CODINGS } from '../core/content-codings.js';

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
  const codings = contentCodings(req.headers.filter(([k]) => k === 'content-encoding').map(([, v]) => v));
  if (codings.length === 0 || req.body.length === 0 || req.method === 'HEAD' || NO_BODY_STATUSES.has(req.status)) return req.body;
  if (!codings.every(decodable)) return req.body;
  if (codings.length > MAX_CONTENT_CODINGS) {
    throw new AirlockError(
      'EGRESS_FAILED',
      `the response has ${codings.length} content codings (${codings.join(', ')}); at most ${MAX_CONTENT_CODINGS} are decoded, so ask the server for fewer`,
    );
  }
  let body: Buffer;
  try {
    // Like fetch: a stream cut short still yields what it holds rather than failing.
    body = await decodeContent(req.body, codings, { maxBytes: req.maxBytes, lenient: true });
  } catch (err) {
    if (!(err instanceof ContentDecodeError)) throw err;
    if (err.tooLarge) throw req.tooLarge();
    throw new AirlockError('EGRESS_FAILED', `the response body could not be decoded (${err.coding}): ${err.message}`);
  }
  if (body.length > req.maxBytes) throw req.tooLarge();
  return body;
}
