// Webhooks end to end over real HTTP, real bwrap sandboxes and real SQLite: deploy issues a token
// that GET shows; a delivery is a job whose function sees {deliveryId, method, headers, query,
// body}; unknown tenant, function or token are one and the same 404 and store nothing; rotation
// kills the old token; ?wait answers with the result when quick and 202 when slow; oversized and
// malformed deliveries are refused and not stored; tenant keys reach only their own webhooks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, finished, getJob, waitJob } from './jobs-support.js';

const ECHO = `export default async (input) => input;`;
const CHALLENGE = `export default async (input) => typeof input.body === 'object' && input.body?.challenge ? input.body.challenge : { got: input.query };`;
const SLOW = `export default async () => { await new Promise((r) => setTimeout(r, 3000)); return 'late'; };`;

interface Webhook {
  token: string;
  path: string;
  createdAt: string;
}

describe('webhooks API', () => {
  let server: TestServer;
  let echo: Webhook;

  async function deliver(path: string, init: RequestInit = {}): Promise<{ status: number; body: any; text: string; headers: Headers }> {
    const res = await fetch(server.url + path, { method: 'POST', ...init });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text, headers: res.headers };
  }

  async function jobCount(fn: string): Promise<number> {
    const res = await server.request('GET', `/v1/tenants/acme/jobs?function=${fn}&limit=500`);
    assert.equal(res.status, 200);
    return (res.body.jobs as unknown[]).length;
  }

  before(async () => {
    server = await startTestServer({ ...FAST_JOBS, AIRLOCK_WEBHOOK_BODY_BYTES: '2048' });
    await deploy(server, 'acme', 'echo', ECHO);
    await deploy(server, 'acme', 'challenge', CHALLENGE);
    await deploy(server, 'acme', 'slow', SLOW);
    echo = (await server.request('GET', '/v1/tenants/acme/functions/echo')).body.webhook as Webhook;
  });
  after(() => server.close());

  it('deploy issues a token that GET shows; a redeploy keeps it', async () => {
    const put = await server.request('PUT', '/v1/tenants/acme/functions/fresh', { code: ECHO });
    assert.equal(put.status, 201);
    const issued = put.body.webhook as Webhook;
    assert.match(issued.token, /^whk_[A-Za-z0-9_-]{43}$/);
    assert.equal(issued.path, `/hooks/acme/fresh/${issued.token}`);
    const got = await server.request('GET', '/v1/tenants/acme/functions/fresh');
    assert.deepEqual(got.body.webhook, issued);
    const again = await server.request('PUT', '/v1/tenants/acme/functions/fresh', { code: ECHO + '\n// v2' });
    assert.equal(again.body.webhook.token, issued.token, 'a redeploy keeps the token');
    const shown = await server.request('GET', '/v1/tenants/acme/functions/fresh/webhook');
    assert.equal(shown.body.token, issued.token);
  });

  it('a delivery is stored as a job before the 202, and the function sees method, headers, query and body', async () => {
    const res = await deliver(`${echo.path}?source=github&tag=a&tag=b`, {
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', authorization: 'Bearer not-for-you', cookie: 'c=1' },
      body: '{"ref":"main",  "n":1}',
    });
    assert.equal(res.status, 202, res.text);
    assert.match(res.body.deliveryId, /^dl_/);
    assert.match(res.body.jobId, /^qi_/);
    const job = await waitJob(server, 'acme', res.body.jobId, finished);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    const input = job.result as { deliveryId: string; method: string; headers: Record<string, string>; query: unknown; body: unknown; rawBody: string };
    assert.equal(input.deliveryId, res.body.deliveryId);
    assert.equal(input.method, 'POST');
    assert.deepEqual(input.query, { source: 'github', tag: ['a', 'b'] });
    assert.deepEqual(input.body, { ref: 'main', n: 1 });
    assert.equal(input.rawBody, '{"ref":"main",  "n":1}');
    assert.equal(input.headers['x-github-event'], 'push');
    assert.equal(input.headers['content-type'], 'application/json');
    assert.equal(input.headers.authorization, undefined, 'credentials are not passed on');
    assert.equal(input.headers.cookie, undefined);
    const listed = await getJob(server, 'acme', res.body.jobId);
    assert.equal((listed as unknown as { idempotencyKey: string }).idempotencyKey, res.body.deliveryId, 'the job names its delivery');
  });

  it('takes a delivery URL with a trailing slash as the same URL', async () => {
    const res = await deliver(`${echo.path}/`, { headers: { 'content-type': 'application/json' }, body: '{"slash":true}' });
    assert.equal(res.status, 202, res.text);
    const job = await waitJob(server, 'acme', res.body.jobId, finished);
    assert.deepEqual((job.result as { body: unknown }).body, { slash: true });
  });

  it('unknown tenant, function or token: the same 404, and nothing is stored', async () => {
    const before = await jobCount('echo');
    const token = echo.token;
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const answers = await Promise.all([
      deliver(`/hooks/acme/echo/${wrong}`, { body: 'x' }),
      deliver(`/hooks/acme/nope/${token}`, { body: 'x' }),
      deliver(`/hooks/globex/echo/${token}`, { body: 'x' }),
      deliver(`/hooks/acme/slow/${token}`, { body: 'x' }), // a real function, another's token
      deliver(`/hooks/ACME/echo/${token}`, { body: 'x' }),
    ]);
    for (const a of answers) {
      assert.equal(a.status, 404, a.text);
      assert.deepEqual(a.body, answers[0]!.body, 'no answer tells which part was wrong');
    }
    assert.equal(await jobCount('echo'), before);
    assert.equal(await jobCount('slow'), 0);
  });

  it('rotation issues a new token and the old one stops working at once', async () => {
    await deploy(server, 'acme', 'rotated', ECHO);
    const old = (await server.request('GET', '/v1/tenants/acme/functions/rotated/webhook')).body as Webhook;
    assert.equal((await deliver(old.path, { body: 'one' })).status, 202);
    const rotated = await server.request('POST', '/v1/tenants/acme/functions/rotated/webhook/rotate');
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const fresh = rotated.body as Webhook;
    assert.notEqual(fresh.token, old.token);
    assert.equal((await deliver(old.path, { body: 'two' })).status, 404);
    assert.equal((await deliver(fresh.path, { body: 'three' })).status, 202);
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/rotated')).body.webhook.token, fresh.token);
    assert.equal(await jobCount('rotated'), 2);
  });

  it('turned off, the webhook refuses deliveries like a wrong token and stays off across redeploys; a rotation turns it on', async () => {
    await deploy(server, 'acme', 'closed', ECHO);
    const old = (await server.request('GET', '/v1/tenants/acme/functions/closed/webhook')).body as Webhook;
    assert.equal((await deliver(old.path, { body: 'one' })).status, 202);
    const off = await server.request('DELETE', '/v1/tenants/acme/functions/closed/webhook');
    assert.equal(off.status, 204, JSON.stringify(off.body));
    const refused = await deliver(old.path, { body: 'two' });
    const wrongToken = await deliver('/hooks/acme/closed/whk_wrong', { body: 'two' });
    assert.deepEqual([refused.status, refused.body], [404, wrongToken.body], 'the same 404 as a wrong token');
    const shown = await server.request('GET', '/v1/tenants/acme/functions/closed/webhook');
    assert.equal(shown.status, 404);
    assert.match(shown.body.error.message, /has no webhook \(it was turned off.*POST \/v1\/tenants\/acme\/functions\/closed\/webhook\/rotate/);
    // A redeploy does not turn it on again.
    const redeployed = await server.request('PUT', '/v1/tenants/acme/functions/closed', { code: ECHO + '\n// v2' });
    assert.equal(redeployed.status, 201);
    assert.equal(redeployed.body.webhook, undefined, JSON.stringify(redeployed.body));
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/closed')).body.webhook, undefined);
    assert.equal((await deliver(old.path, { body: 'three' })).status, 404);
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/functions/closed/webhook')).status, 204, 'off stays off');
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/functions/nothing/webhook')).status, 404);
    // A rotation turns it on with a new token; the old one still fails.
    const on = await server.request('POST', '/v1/tenants/acme/functions/closed/webhook/rotate');
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.notEqual(on.body.token, old.token);
    assert.equal((await deliver(old.path, { body: 'four' })).status, 404);
    assert.equal((await deliver(on.body.path as string, { body: 'five' })).status, 202);
    assert.equal(await jobCount('closed'), 2);
  });

  it('?wait answers with the result when the function is quick: a string as text, anything else as JSON', async () => {
    const hook = (await server.request('GET', '/v1/tenants/acme/functions/challenge/webhook')).body as Webhook;
    const text = await deliver(`${hook.path}?wait=20000`, { headers: { 'content-type': 'application/json' }, body: '{"challenge":"c-123"}' });
    assert.equal(text.status, 200, text.text);
    assert.equal(text.text, 'c-123');
    assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(text.headers.get('x-airlock-job-id') ?? '', /^qi_/);
    const json = await deliver(`${hook.path}?wait=20000&x=1`, { method: 'GET' });
    assert.equal(json.status, 200, json.text);
    assert.deepEqual(json.body, { got: { x: '1' } });
  });

  it('?wait answers 202 when the function is slower than the wait, and the delivery still runs', async () => {
    const hook = (await server.request('GET', '/v1/tenants/acme/functions/slow/webhook')).body as Webhook;
    const res = await deliver(`${hook.path}?wait=200`, { body: 'x' });
    assert.equal(res.status, 202, res.text);
    assert.ok(['queued', 'running'].includes(res.body.status), res.text);
    const job = await waitJob(server, 'acme', res.body.jobId, finished);
    assert.deepEqual([job.status, job.result], ['succeeded', 'late']);
  });

  it("a form-encoded delivery (GitHub's default) reaches the function as its text and its fields", async () => {
    const payload = JSON.stringify({ ref: 'refs/heads/main', commits: [{ id: 'c1' }] });
    const res = await deliver(echo.path, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'push' },
      body: `payload=${encodeURIComponent(payload)}`,
    });
    assert.equal(res.status, 202, res.text);
    const job = await waitJob(server, 'acme', res.body.jobId, finished);
    const input = job.result as { body: unknown; form: Record<string, string> };
    assert.equal(input.body, `payload=${encodeURIComponent(payload)}`);
    assert.deepEqual(JSON.parse(input.form.payload!), { ref: 'refs/heads/main', commits: [{ id: 'c1' }] });
  });

  it('oversized, malformed and badly-waited deliveries get a 4xx and are not stored', async () => {
    const before = await jobCount('echo');
    const big = await deliver(echo.path, { headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(4096) });
    assert.equal(big.status, 413, big.text);
    assert.equal(big.body.error.code, 'INPUT_TOO_LARGE');
    const bad = await deliver(echo.path, { headers: { 'content-type': 'application/json' }, body: '{"a":' });
    assert.equal(bad.status, 400, bad.text);
    const badWait = await deliver(`${echo.path}?wait=soon`, { body: 'x' });
    assert.equal(badWait.status, 400, badWait.text);
    const manyHeaders: Record<string, string> = {};
    for (let i = 0; i < 120; i++) manyHeaders[`x-h${i}`] = 'v';
    const headers = await deliver(echo.path, { headers: manyHeaders, body: 'x' });
    assert.equal(headers.status, 431, headers.text);
    const notAType = await deliver(echo.path, { headers: { 'content-type': ';;;' }, body: 'x' });
    assert.equal(notAType.status, 415, notAType.text);
    assert.match(notAType.body.error.message, /^this delivery has content-type ";;;", which is not a media type; send a valid one/);
    assert.doesNotMatch(notAType.body.error.message, /takes JSON/, 'deliveries take any body: no advice to send JSON');
    assert.equal(await jobCount('echo'), before);
  });

  it('a compressed delivery reaches the function decompressed, without its content-encoding header', async () => {
    const json = '{"event":"sync","ids":[1,2,3]}';
    const gz = await deliver(echo.path, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(json) });
    assert.equal(gz.status, 202, gz.text);
    const text = 'plain text, twice compressed';
    const chained = await deliver(echo.path, { headers: { 'content-type': 'text/plain', 'content-encoding': 'deflate, br' }, body: brotliCompressSync(deflateSync(text)) });
    assert.equal(chained.status, 202, chained.text);
    // Raw deflate (no zlib header), as some senders mean `deflate`.
    const raw = await deliver(echo.path, { headers: { 'content-type': 'text/plain', 'content-encoding': 'deflate' }, body: deflateRawSync(text) });
    assert.equal(raw.status, 202, raw.text);
    const got = [];
    for (const res of [gz, chained, raw]) {
      const job = await waitJob(server, 'acme', res.body.jobId, finished);
      assert.equal(job.status, 'succeeded', JSON.stringify(job));
      got.push(job.result as { headers: Record<string, string>; body: unknown; rawBody?: string });
    }
    assert.deepEqual([got[0]!.body, got[0]!.rawBody], [JSON.parse(json), json]);
    assert.equal(got[1]!.body, text);
    assert.equal(got[2]!.body, text, 'raw deflate decoded');
    for (const input of got) assert.equal(input.headers['content-encoding'], undefined);
    // identity, or an empty body, is plain already: no header either.
    const plain = await deliver(echo.path, { headers: { 'content-type': 'text/plain', 'content-encoding': 'identity' }, body: 'as is' });
    const empty = await deliver(echo.path, { headers: { 'content-encoding': 'gzip' } });
    for (const res of [plain, empty]) {
      assert.equal(res.status, 202, res.text);
      const job = await waitJob(server, 'acme', res.body.jobId, finished);
      assert.equal((job.result as { headers: Record<string, string> }).headers['content-encoding'], undefined, res.text);
    }
  });

  it('refuses a delivery whose encoding is unknown, corrupt, or inflates past the body limit, and stores nothing', async () => {
    const before = await jobCount('echo');
    const unknown = await deliver(echo.path, { headers: { 'content-encoding': 'gzip, compress' }, body: 'x' });
    assert.equal(unknown.status, 415, unknown.text);
    assert.match(unknown.body.error.message, /content-encoding "compress" is not supported; send the body uncompressed, or with gzip, deflate or br/);
    const stacked = await deliver(echo.path, { headers: { 'content-encoding': 'gzip, gzip, gzip, gzip' }, body: 'x' });
    assert.equal(stacked.status, 415, stacked.text);
    assert.match(stacked.body.error.message, /lists 4 codings, more than the 3 taken; compress the body once/);
    const corrupt = await deliver(echo.path, { headers: { 'content-encoding': 'gzip' }, body: 'not gzip at all' });
    assert.equal(corrupt.status, 400, corrupt.text);
    assert.match(corrupt.body.error.message, /declared gzip-encoded \(content-encoding\) but does not decode/);
    // A body cut short is refused too (the sender retries it), never stored as what it held.
    const whole = gzipSync('a delivery that arrives cut short '.repeat(20));
    const cut = await deliver(echo.path, { headers: { 'content-encoding': 'gzip' }, body: whole.subarray(0, whole.length - 12) });
    assert.equal(cut.status, 400, cut.text);
    assert.match(cut.body.error.message, /declared gzip-encoded \(content-encoding\) but does not decode \(unexpected end of file\)/);
    // 40 bytes on the wire, 100 000 once inflated: over the 2048-byte body limit.
    const bomb = gzipSync('x'.repeat(100_000));
    assert.ok(bomb.length < 2048);
    const inflated = await deliver(echo.path, { headers: { 'content-encoding': 'gzip' }, body: bomb });
    assert.equal(inflated.status, 413, inflated.text);
    assert.match(inflated.body.error.message, /decompresses to more than 2048 bytes/);
    assert.equal(await jobCount('echo'), before);
    // Each refusal is counted, as are the stored deliveries of the tests before.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const count = (series: string) => Number(metrics.split('\n').find((l) => l.startsWith(series + ' '))?.split(' ')[1] ?? NaN);
    assert.ok(count('airlock_webhook_deliveries_total{result="refused"}') >= 4, metrics);
    assert.ok(count('airlock_webhook_deliveries_total{result="stored"}') >= 1, metrics);
  });

  it('tenant keys reach only their own webhooks; the delivery route needs no key', async () => {
    const key = (await server.request('POST', '/v1/tenants/globex/keys')).body.key as string;
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/echo/webhook', undefined, key)).status, 403);
    assert.equal((await server.request('POST', '/v1/tenants/acme/functions/echo/webhook/rotate', undefined, key)).status, 403);
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/functions/echo/webhook', undefined, key)).status, 403);
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/echo/webhook', undefined, null)).status, 401);
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/nope/webhook')).status, 404);
  });

  it('deleting a function removes its webhook; a new deploy issues a new token', async () => {
    await deploy(server, 'acme', 'gone', ECHO);
    const first = (await server.request('GET', '/v1/tenants/acme/functions/gone/webhook')).body as Webhook;
    assert.equal((await deliver(first.path, { body: 'before' })).status, 202, 'a delivery: the token hash is now cached');
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/functions/gone')).status, 204);
    assert.equal((await deliver(first.path, { body: 'x' })).status, 404, 'refused at once, not after the cache entry expires');
    await deploy(server, 'acme', 'gone', ECHO);
    const second = (await server.request('GET', '/v1/tenants/acme/functions/gone/webhook')).body as Webhook;
    assert.notEqual(second.token, first.token);
  });
});
