// Validation of `fetch` frames (ctx.fetch requests) from a sandbox: every field type-checked and
// bounded (URL length, header count and size, header names and values, base64 body, redirect
// mode) before the broker sees anything. The body's decoded size is the broker's to judge
// (EGRESS_LIMIT). Also `fetch-abort` frames (the function aborted a request): an id and a rid.
import type { FetchAbortFrame, FetchFrame } from '../runtime/protocol.js';
import type { Parsed } from './frames.js';

export const MAX_FETCH_URL = 8 * 1024;
export const MAX_FETCH_HEADERS = 100;
export const MAX_FETCH_HEADER_BYTES = 64 * 1024;
/** Longest execution id a `fetch-abort` frame may carry (ids are far shorter; anything longer is not one). */
const MAX_ABORT_ID = 256;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const BAD_VALUE = /[\r\n\0]/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function fail<T = FetchFrame>(reason: string): Parsed<T> {
  return { ok: false, reason };
}

export function parseFetch(v: Record<string, unknown>): Parsed<FetchFrame> {
  if (!Object.keys(v).every((k) => ['t', 'id', 'rid', 'method', 'url', 'headers', 'body', 'redirect'].includes(k))) return fail('fetch frame has extra fields');
  if (typeof v.id !== 'string') return fail('fetch frame without a string id');
  if (typeof v.rid !== 'number' || !Number.isSafeInteger(v.rid) || v.rid < 0) return fail('fetch frame without a request id');
  if (typeof v.method !== 'string' || !TOKEN.test(v.method) || v.method.length > 16) return fail('fetch frame with a malformed method');
  if (typeof v.url !== 'string' || v.url.length > MAX_FETCH_URL) return fail('fetch frame with a malformed or oversized url');
  if (!Array.isArray(v.headers) || v.headers.length > MAX_FETCH_HEADERS) return fail('fetch frame with malformed or too many headers');
  const headers: [string, string][] = [];
  let bytes = 0;
  for (const h of v.headers as unknown[]) {
    if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string' || typeof h[1] !== 'string') return fail('fetch frame with a malformed header');
    if (!TOKEN.test(h[0]) || BAD_VALUE.test(h[1])) return fail('fetch frame with an invalid header name or value');
    bytes += h[0].length + h[1].length;
    if (bytes > MAX_FETCH_HEADER_BYTES) return fail('fetch frame headers are too large');
    headers.push([h[0], h[1]]);
  }
  const frame: FetchFrame = { t: 'fetch', id: v.id, rid: v.rid, method: v.method, url: v.url, headers };
  if (v.body !== undefined) {
    if (typeof v.body !== 'string' || v.body.length % 4 !== 0 || !BASE64.test(v.body)) return fail('fetch frame with a body that is not base64');
    frame.body = v.body;
  }
  if (v.redirect !== undefined) {
    if (v.redirect !== 'follow' && v.redirect !== 'error' && v.redirect !== 'manual') return fail('fetch frame with an unknown redirect mode');
    frame.redirect = v.redirect;
  }
  return { ok: true, value: frame };
}

/** A `fetch-abort` frame: only `t`, a string execution id and a request id like a `fetch` frame's. */
export function parseFetchAbort(v: Record<string, unknown>): Parsed<FetchAbortFrame> {
  if (!Object.keys(v).every((k) => k === 't' || k === 'id' || k === 'rid')) return fail('fetch-abort frame has extra fields');
  if (typeof v.id !== 'string' || v.id.length > MAX_ABORT_ID) return fail('fetch-abort frame without a string id');
  if (typeof v.rid !== 'number' || !Number.isSafeInteger(v.rid) || v.rid < 0) return fail('fetch-abort frame without a request id');
  return { ok: true, value: { t: 'fetch-abort', id: v.id, rid: v.rid } };
}
