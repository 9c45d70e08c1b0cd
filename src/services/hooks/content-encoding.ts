// Compressed webhook deliveries. A sender may compress its body (`Content-Encoding: gzip`,
// `deflate` or `br`, up to MAX_CODINGS listed in the order they were applied): the body is decompressed
// here, in libuv's thread pool and never past AIRLOCK_WEBHOOK_BODY_BYTES (a small body that
// inflates to gigabytes is refused, not decoded), and the function receives the plain body
// without the content-encoding header. Other codings are refused with 415.
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import type { ZlibOptions } from 'node:zlib';
import { AirlockError } from '../../core/errors.js';
import type { DeliveryRequest } from './delivery.js';

type Decoder = (body: Buffer, options: ZlibOptions) => Promise<Buffer>;

/** Codings one delivery may stack; each decode may cost up to the body limit of output. */
const MAX_CODINGS = 3;

const DECODERS: Readonly<Record<string, Decoder>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress) as Decoder,
};

/** The codings applied to the body, first applied first; identity left out. */
function codingsOf(req: DeliveryRequest): string[] {
  const header = req.headers['content-encoding'];
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return text
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

/** The delivery with its body decompressed (and no content-encoding header); as is when plain. */
export async function decodeContent(req: DeliveryRequest, bodyBytes: number): Promise<DeliveryRequest> {
  if (req.headers['content-encoding'] === undefined) return req;
  const codings = codingsOf(req);
  if (codings.length === 0 || req.body.length === 0) return withoutEncoding(req, req.body); // identity, or nothing to decode
  if (codings.length > MAX_CODINGS) {
    throw new AirlockError(
      'UNSUPPORTED_MEDIA_TYPE',
      `the delivery's content-encoding lists ${codings.length} codings, more than the ${MAX_CODINGS} taken; compress the body once`,
    );
  }
  for (const coding of codings) {
    if (DECODERS[coding] === undefined) {
      throw new AirlockError(
        'UNSUPPORTED_MEDIA_TYPE',
        `the delivery's content-encoding ${JSON.stringify(coding)} is not supported; send the body uncompressed, or with gzip, deflate or br`,
      );
    }
  }
  let body = req.body;
  for (const coding of codings.reverse()) {
    try {
      body = await DECODERS[coding]!(body, { maxOutputLength: bodyBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new AirlockError(
          'INPUT_TOO_LARGE',
          `the delivery body decompresses to more than ${bodyBytes} bytes and was not stored; send less or ask the operator to raise AIRLOCK_WEBHOOK_BODY_BYTES`,
        );
      }
      throw new AirlockError(
        'VALIDATION_FAILED',
        `the delivery body is declared ${coding}-encoded (content-encoding) but does not decode (${(err as Error).message}); send it uncompressed or fix the encoding`,
      );
    }
  }
  return withoutEncoding(req, body);
}

/** The delivery with `body` and no content-encoding header (what the function gets is plain). */
function withoutEncoding(req: DeliveryRequest, body: Buffer): DeliveryRequest {
  const headers = { ...req.headers };
  delete headers['content-encoding'];
  return { ...req, headers, body };
}
