// Compressed webhook deliveries. A sender may compress its body (`Content-Encoding: gzip`,
// `deflate` — zlib-wrapped or raw — or `br`, up to MAX_CONTENT_CODINGS listed in the order they
// were applied): the body is decompressed here (src/core/content-codings.ts: on libuv's thread
// pool and never past AIRLOCK_WEBHOOK_BODY_BYTES, so a small body that inflates to gigabytes is
// refused, not decoded), and the function receives the plain body without the content-encoding
// header. Other codings are refused with 415; a body that does not decode, or stops short, with 400.
import { AirlockError } from '../../core/errors.js';
import { contentCodings, ContentDecodeError, decodable, decodeContent, MAX_CONTENT_CODINGS } from '../../core/content-codings.js';
import type { DeliveryRequest } from './delivery.js';

/** The delivery with its body decompressed (and no content-encoding header); as is when plain. */
export async function decodeDelivery(req: DeliveryRequest, bodyBytes: number): Promise<DeliveryRequest> {
  if (req.headers['content-encoding'] === undefined) return req;
  const codings = contentCodings(req.headers['content-encoding']);
  if (codings.length === 0 || req.body.length === 0) return withoutEncoding(req, req.body); // identity, or nothing to decode
  if (codings.length > MAX_CONTENT_CODINGS) {
    throw new AirlockError(
      'UNSUPPORTED_MEDIA_TYPE',
      `the delivery's content-encoding lists ${codings.length} codings, more than the ${MAX_CONTENT_CODINGS} taken; compress the body once`,
    );
  }
  const unknown = codings.find((coding) => !decodable(coding));
  if (unknown !== undefined) {
    throw new AirlockError(
      'UNSUPPORTED_MEDIA_TYPE',
      `the delivery's content-encoding ${JSON.stringify(unknown)} is not supported; send the body uncompressed, or with gzip, deflate or br`,
    );
  }
  try {
    return withoutEncoding(req, await decodeContent(req.body, codings, { maxBytes: bodyBytes }));
  } catch (err) {
    if (!(err instanceof ContentDecodeError)) throw err;
    if (err.tooLarge) {
      throw new AirlockError(
        'INPUT_TOO_LARGE',
        `the delivery body decompresses to more than ${bodyBytes} bytes and was not stored; send less or ask the operator to raise AIRLOCK_WEBHOOK_BODY_BYTES`,
      );
    }
    throw new AirlockError(
      'VALIDATION_FAILED',
      `the delivery body is declared ${err.coding}-encoded (content-encoding) but does not decode (${err.message}); send it uncompressed or fix the encoding`,
    );
  }
}

/** The delivery with `body` and no content-encoding header (what the function gets is plain). */
function withoutEncoding(req: DeliveryRequest, body: Buffer): DeliveryRequest {
  const headers = { ...req.headers };
  delete headers['content-encoding'];
  return { ...req, headers, body };
}
