// How a webhook request becomes the function's input: which headers are kept, how query strings
// and bodies (JSON, form, text, binary) are passed, and which deliveries are refused before storage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAirlockError } from '../../../src/core/errors.js';
import { deliveryInput } from '../../../src/services/hooks/delivery.js';
import type { DeliveryRequest } from '../../../src/services/hooks/delivery.js';

const limits = { maxHeaders: 20, headerBytes: 4096, maxJsonDepth: 8 };
const req = (over: Partial<DeliveryRequest>): DeliveryRequest => ({ method: 'POST', headers: {}, rawQuery: '', body: Buffer.alloc(0), ...over });

function refusedWith(code: string, fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => isAirlockError(err) && err.code === code);
}

test('credentials, hop-by-hop and transport headers are dropped; the rest is kept, lowercased names as given', () => {
  const input = deliveryInput('dl_1', req({
    headers: {
      'content-type': 'text/plain',
      'x-hub-signature-256': 'sha256=abc',
      authorization: 'Bearer secret',
      cookie: 'session=1',
      'proxy-authorization': 'Basic x',
      connection: 'keep-alive',
      'transfer-encoding': 'chunked',
      host: '127.0.0.1:8080',
      'content-length': '3',
      'x-multi': ['a', 'b'],
    },
  }), limits);
  assert.deepEqual(input.headers, { 'content-type': 'text/plain', 'x-hub-signature-256': 'sha256=abc', 'x-multi': 'a, b' });
});

test('query parameters are passed (repeated ones as arrays) except the reserved wait', () => {
  const input = deliveryInput('dl_1', req({ rawQuery: 'a=1&b=x&b=y&wait=500&__proto__=1' }), limits);
  assert.deepEqual(input.query, { a: '1', b: ['x', 'y'] });
  assert.equal(Object.getPrototypeOf(input.query), Object.prototype);
});

test('a JSON body is parsed and also kept as its exact text; prototype keys are removed', () => {
  const text = '{ "event": "push",  "__proto__": {"admin": true}, "n": 1.50 }';
  const input = deliveryInput('dl_1', req({ headers: { 'content-type': 'application/vnd.github+json; charset=utf-8' }, body: Buffer.from(text) }), limits);
  assert.deepEqual(input.body, { event: 'push', n: 1.5 });
  assert.equal(input.rawBody, text);
  assert.equal(({} as Record<string, unknown>).admin, undefined);
});

test('a leading byte order mark stays in rawBody and a text body (the exact text received); JSON and form parsing skip it', () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const json = deliveryInput('dl_1', req({ headers: { 'content-type': 'application/json' }, body: Buffer.concat([bom, Buffer.from('{"bom":1}')]) }), limits);
  assert.deepEqual([json.body, json.rawBody], [{ bom: 1 }, '\uFEFF{"bom":1}']);
  const text = deliveryInput('dl_1', req({ headers: { 'content-type': 'text/plain' }, body: Buffer.concat([bom, Buffer.from('hello')]) }), limits);
  assert.equal(text.body, '\uFEFFhello');
  const form = deliveryInput('dl_1', req({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.concat([bom, Buffer.from('a=1')]) }), limits);
  assert.deepEqual([form.body, form.form], ['\uFEFFa=1', { a: '1' }]);
});

test("a form body is kept as text and also given as its fields (GitHub's default content type)", () => {
  const payload = JSON.stringify({ ref: 'refs/heads/main', pusher: { name: 'ada lovelace' } });
  const text = `payload=${encodeURIComponent(payload)}&tag=a&tag=b+c&tag=%C3%A9&__proto__=x&empty=`;
  const form = deliveryInput('dl_1', req({ headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: Buffer.from(text) }), limits);
  assert.deepEqual([form.body, form.rawBody, form.bodyEncoding], [text, undefined, undefined]);
  assert.deepEqual(form.form, { payload, tag: ['a', 'b c', 'é'], empty: '' });
  assert.equal(Object.getPrototypeOf(form.form), Object.prototype);
  assert.deepEqual(JSON.parse((form.form as { payload: string }).payload), { ref: 'refs/heads/main', pusher: { name: 'ada lovelace' } });
  // One name repeated all over a large body is read in linear time (a copy per value would not end).
  const repeated = deliveryInput('dl_1', req({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from('a=1&'.repeat(200_000)) }), limits);
  assert.equal((repeated.form!.a as string[]).length, 200_000);
  // Other content types get no form, even when the text looks like one.
  const plain = deliveryInput('dl_1', req({ headers: { 'content-type': 'text/plain' }, body: Buffer.from('a=1&b=2') }), limits);
  assert.deepEqual([plain.body, plain.form], ['a=1&b=2', undefined]);
});

test('text bodies are kept as text, binary ones as base64, an empty body is null', () => {
  const bytes = Buffer.from([0xff, 0x00, 0xfe]);
  const bin = deliveryInput('dl_1', req({ headers: { 'content-type': 'application/octet-stream' }, body: bytes }), limits);
  assert.deepEqual([bin.body, bin.bodyEncoding], [bytes.toString('base64'), 'base64']);
  assert.equal(deliveryInput('dl_1', req({ method: 'GET' }), limits).body, null);
});

test("a body in the charset its content type declares is passed as text; bytes that are not valid in it as base64", () => {
  const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in ISO-8859-1 (not valid UTF-8)
  const text = deliveryInput('dl_1', req({ headers: { 'content-type': 'text/plain; charset=ISO-8859-1' }, body: latin1 }), limits);
  assert.deepEqual([text.body, text.bodyEncoding], ['café', undefined]);
  const sjis = Buffer.from([0x82, 0xa0]); // "あ" in Shift_JIS
  assert.equal(deliveryInput('dl_1', req({ headers: { 'content-type': 'text/plain; charset="shift_jis"' }, body: sjis }), limits).body, 'あ');
  const json = Buffer.from('{"n":"é"}', 'utf16le');
  assert.deepEqual(deliveryInput('dl_1', req({ headers: { 'content-type': 'application/json; charset=utf-16le' }, body: json }), limits).body, { n: 'é' });
  // Undecodable in its declared charset, or a charset Node does not know: as before.
  const bad = Buffer.from([0x82]);
  assert.deepEqual(deliveryInput('dl_1', req({ headers: { 'content-type': 'text/plain; charset=shift_jis' }, body: bad }), limits).bodyEncoding, 'base64');
  assert.equal(deliveryInput('dl_1', req({ headers: { 'content-type': 'text/plain; charset=x-unknown' }, body: Buffer.from('ok') }), limits).body, 'ok');
});

test('malformed JSON, non-UTF-8 JSON, too deep JSON and too many headers are refused', () => {
  const json = { 'content-type': 'application/json' };
  refusedWith('VALIDATION_FAILED', () => deliveryInput('dl_1', req({ headers: json, body: Buffer.from('{"a":') }), limits));
  refusedWith('VALIDATION_FAILED', () => deliveryInput('dl_1', req({ headers: json, body: Buffer.from([0x7b, 0xff, 0x7d]) }), limits));
  refusedWith('INPUT_TOO_DEEP', () => deliveryInput('dl_1', req({ headers: json, body: Buffer.from('['.repeat(20) + ']'.repeat(20)) }), limits));
  const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`x-h${i}`, 'v']));
  refusedWith('HEADERS_TOO_LARGE', () => deliveryInput('dl_1', req({ headers: many }), limits));
  refusedWith('HEADERS_TOO_LARGE', () => deliveryInput('dl_1', req({ headers: { 'x-big': 'v'.repeat(5000) } }), limits));
});

test('the delivery id and method are passed as given', () => {
  const input = deliveryInput('dl_42', req({ method: 'PUT' }), limits);
  assert.deepEqual([input.deliveryId, input.method], ['dl_42', 'PUT']);
});
