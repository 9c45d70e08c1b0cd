// Turns one HTTP request to /hooks/... into the function's input {deliveryId, method, headers,
// query, body, rawBody?, form?, bodyEncoding?}, or refuses it with a 4xx before anything is stored.
// Headers: names lowercased; hop-by-hop headers, credentials (authorization, cookie) and headers
// the transport computes (content-length, host) are dropped. Body: JSON content types are parsed
// (malformed: 400) and also kept as the exact text in rawBody, so signatures over the raw bytes
// can be checked; other bodies are kept as text when they are valid in the charset their content
// type declares (UTF-8 when none), else as base64. A form body (application/x-www-form-urlencoded,
// GitHub's default and Slack's commands) is also given as its fields, in `form`.
import { parseJsonSafely } from '../../core/json.js';
import { AirlockError } from '../../core/errors.js';
import { exceedsDepth } from '../../core/json.js';

export interface DeliveryRequest {
  method: string;
  /** As Node gives them: lowercase names, arrays for repeated headers. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The raw query string (without '?'), or ''. */
  rawQuery: string;
  /** The body bytes (empty when there is none). */
  body: Buffer;
}

export interface DeliveryLimits {
  maxHeaders: number;
  headerBytes: number;
  maxJsonDepth: number;
}

export interface DeliveryInput {
  deliveryId: string;
  method: string;
  headers: Record<string, string>;
  query: Record<string, string | string[]>;
  body: unknown;
  /** The exact body text, when the body was parsed as JSON. */
  rawBody?: string;
  /** A form body's fields (a repeated one as an array); `body` keeps the text. */
  form?: Record<string, string | string[]>;
  /** 'base64' when the body is not UTF-8 text and `body` holds its bytes in base64. */
  bodyEncoding?: 'base64';
  /** The signature scheme the host verified the delivery with (e.g. "github"); absent when none is configured. */
  verified?: string;
}

/** Never passed to the function. */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'authorization',
  'cookie',
  'host',
  'content-length',
]);

/** Query parameters Airlock reads itself (not passed to the function). */
export const RESERVED_QUERY = ['wait'] as const;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json(?:\s*;|$)/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded(?:\s*;|$)/i;

function headersOf(raw: DeliveryRequest['headers'], limits: DeliveryLimits): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  let bytes = 0;
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || DROPPED.has(name) || name === '__proto__') continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    count++;
    bytes += name.length + text.length;
    if (count > limits.maxHeaders || bytes > limits.headerBytes) {
      throw new AirlockError(
        'HEADERS_TOO_LARGE',
        `the delivery has more than ${limits.maxHeaders} headers or ${limits.headerBytes} bytes of them; ` +
          'send fewer (operators: AIRLOCK_WEBHOOK_MAX_HEADERS, AIRLOCK_WEBHOOK_HEADER_BYTES)',
      );
    }
    out[name] = text;
  }
  return { ...out };
}

/** Name/value pairs of a query string or form body; a repeated name's values as an array. */
function fieldsOf(encoded: string, skipped: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(encoded)) {
    if (skipped.includes(name) || name === '__proto__') continue;
    const seen = Object.hasOwn(out, name) ? out[name] : undefined;
    if (seen === undefined) out[name] = value;
    else if (Array.isArray(seen)) seen.push(value); // in place: a 1 MiB form of one repeated name stays linear
    else out[name] = [seen, value];
  }
  return out;
}

// ignoreBOM keeps a leading byte order mark in the text: rawBody and a text body are the exact
// text received (a function may check a signature over it); JSON and form parsing skip it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const BOM = '\uFEFF';
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

/**
 * The decoder of the charset the content type declares (`text/plain; charset=iso-8859-1`), when
 * it is not UTF-8 and Node knows it (WHATWG labels: windows-1252, shift_jis, utf-16le, …);
 * undefined otherwise (UTF-8 is tried, as for a body that declares none).
 */
function declaredDecoder(contentType: string): TextDecoder | undefined {
  const label = CHARSET.exec(contentType)?.[1];
  if (label === undefined) return undefined;
  try {
    const decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
    return decoder.encoding === 'utf-8' ? undefined : decoder;
  } catch {
    return undefined; // a label Node does not know
  }
}

function bodyOf(req: DeliveryRequest, limits: DeliveryLimits): Pick<DeliveryInput, 'body' | 'rawBody' | 'form' | 'bodyEncoding'> {
  if (req.body.length === 0) return { body: null };
  const type = req.headers['content-type'];
  const contentType = Array.isArray(type) ? (type[0] ?? '') : (type ?? '');
  const decoder = declaredDecoder(contentType) ?? utf8;
  let text: string;
  try {
    text = decoder.decode(req.body);
  } catch {
    if (JSON_TYPE.test(contentType)) throw malformed(`the body is declared JSON but is not valid ${decoder.encoding === 'utf-8' ? 'UTF-8' : decoder.encoding}`);
    return { body: req.body.toString('base64'), bodyEncoding: 'base64' };
  }
  const unmarked = text.startsWith(BOM) ? text.slice(BOM.length) : text;
  if (FORM_TYPE.test(contentType)) return { body: text, form: fieldsOf(unmarked, []) };
  if (!JSON_TYPE.test(contentType)) return { body: text };
  let parsed: unknown;
  try {
    parsed = parseJsonSafely(unmarked);
  } catch (err) {
    throw malformed(`the body is declared JSON but does not parse (${(err as Error).message})`);
  }
  if (exceedsDepth(parsed, limits.maxJsonDepth)) {
    throw new AirlockError('INPUT_TOO_DEEP', `the JSON body nests deeper than ${limits.maxJsonDepth} levels; flatten it`);
  }
  return { body: parsed, rawBody: text };
}

function malformed(what: string): AirlockError {
  return new AirlockError('VALIDATION_FAILED', `${what}; send valid JSON, or another content type to have the body passed as text`);
}

/** The function's input for one delivery; throws a 4xx AirlockError for a malformed one. */
export function deliveryInput(deliveryId: string, req: DeliveryRequest, limits: DeliveryLimits): DeliveryInput {
  return {
    deliveryId,
    method: req.method,
    headers: headersOf(req.headers, limits),
    query: fieldsOf(req.rawQuery, RESERVED_QUERY),
    ...bodyOf(req, limits),
  };
}
