// Webhook signature verification end to end (real server over 127.0.0.1, real SQLite, real
// sandboxes). For each preset, a delivery signed as the provider documents it (computed here with
// node:crypto) is stored and runs with `verified`; a wrong signature, a missing header, a tampered
// body and an old timestamp are refused with 401 and store nothing; a compressed signed delivery
// verifies over its decoded body; a secret bound to hosts cannot be named; a deleted secret makes
// deliveries 503 (told to the operator); tenant keys reach only their own tenant; the setting
// survives a restart and a token rotation and goes with the function; no signing key ever
// appears in an answer or the log.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { captureLog } from '../support/log-capture.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, finished, waitJob } from './jobs-support.js';

const FN = `export default async (input) => ({ verified: input.verified ?? null, body: input.body });`;
const T = '/v1/tenants/acme';

// Signing keys as the providers issue them (random, so a leak is found by grepping for them).
const KEYS = {
  github: `gh-${randomBytes(12).toString('hex')}`,
  stripe: `whsec_${randomBytes(24).toString('hex')}`,
  slack: randomBytes(16).toString('hex'),
  standard: `whsec_${randomBytes(24).toString('base64')}`,
  shopify: `shpss_${randomBytes(16).toString('hex')}`,
};

const now = (): number => Math.floor(Date.now() / 1000);
const mac = (algo: string, key: string | Buffer, data: string, enc: 'hex' | 'base64') => createHmac(algo, key).update(data).digest(enc);

/** Each provider's signing, from its documentation. */
const sign = {
  github: (body: string, key = KEYS.github) => ({ 'x-hub-signature-256': `sha256=${mac('sha256', key, body, 'hex')}` }),
  stripe: (body: string, t = now(), key = KEYS.stripe) => ({ 'stripe-signature': `t=${t},v1=${mac('sha256', key, `${t}.${body}`, 'hex')}` }),
  slack: (body: string, t = now(), key = KEYS.slack) => ({
    'x-slack-request-timestamp': String(t),
    'x-slack-signature': `v0=${mac('sha256', key, `v0:${t}:${body}`, 'hex')}`,
  }),
  standard: (body: string, t = now(), key = KEYS.standard) => {
    const id = `msg_${randomBytes(6).toString('hex')}`;
    const secret = Buffer.from(key.slice('whsec_'.length), 'base64');
    return { 'webhook-id': id, 'webhook-timestamp': String(t), 'webhook-signature': `v1,${mac('sha256', secret, `${id}.${t}.${body}`, 'base64')}` };
  },
  shopify: (body: string, key = KEYS.shopify) => ({ 'x-shopify-hmac-sha256': mac('sha256', key, body, 'base64') }),
};

const CONFIGS = {
  gh: { preset: 'github', secret: 'gh-key' },
  st: { preset: 'stripe', secret: 'stripe-key' },
  sl: { preset: 'slack', secret: 'slack-key' },
  sw: { preset: 'standard-webhooks', secret: 'std-key' },
  shop: { preset: 'hmac', secret: 'shop-key', header: 'X-Shopify-Hmac-Sha256', encoding: 'base64' },
} as const;

describe('webhook signature verification', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-hook-verify-'));
  const log = captureLog('info');
  let server: TestServer;
  const paths: Record<string, string> = {};

  const start = () => startTestServer({ ...FAST_JOBS, AIRLOCK_DATA_DIR: dataDir }, {}, log.logger);

  async function deliver(fn: string, body: string, headers: Record<string, string>, init: { body?: Buffer } = {}) {
    const res = await fetch(server.url + paths[fn], {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: init.body === undefined ? body : new Uint8Array(init.body),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  async function jobCount(fn: string): Promise<number> {
    const res = await server.request('GET', `${T}/jobs?function=${fn}&limit=500`);
    assert.equal(res.status, 200);
    return (res.body.jobs as unknown[]).length;
  }

  /** The delivery is refused with 401 naming `header`, and nothing is stored. */
  async function refused(fn: string, body: string, headers: Record<string, string>, header: string, reason: string) {
    const before = await jobCount(fn);
    const res = await deliver(fn, body, headers);
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'WEBHOOK_SIGNATURE_INVALID');
    assert.equal(res.body.error.header, header);
    assert.equal(res.body.error.reason, reason);
    assert.match(res.body.error.message, new RegExp(header));
    assert.equal(await jobCount(fn), before, 'nothing stored');
  }

  async function ranVerified(fn: string, body: string, headers: Record<string, string>, preset: string, init: { body?: Buffer } = {}) {
    const res = await deliver(fn, body, headers, init);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const job = await waitJob(server, 'acme', res.body.jobId, finished);
    assert.equal(job.status, 'succeeded');
    assert.deepEqual(job.result, { verified: preset, body: JSON.parse(body) });
  }

  before(async () => {
    server = await start();
    const secrets: [string, string][] = [['gh-key', KEYS.github], ['stripe-key', KEYS.stripe], ['slack-key', KEYS.slack], ['std-key', KEYS.standard], ['shop-key', KEYS.shopify]];
    for (const [name, value] of secrets) {
      const res = await server.request('PUT', `${T}/secrets/${name}`, { value, hosts: [] });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body.hosts, []);
    }
    for (const [fn, config] of Object.entries(CONFIGS)) {
      await deploy(server, 'acme', fn, FN);
      const set = await server.request('PUT', `${T}/functions/${fn}/webhook/verify`, config);
      assert.equal(set.status, 201, JSON.stringify(set.body));
      paths[fn] = (await server.request('GET', `${T}/functions/${fn}/webhook`)).body.path;
    }
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('GitHub: a signed delivery runs with verified "github"; wrong, missing, tampered are 401 and not stored', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', commits: [{ id: 'a1' }] });
    await ranVerified('gh', body, sign.github(body), 'github');
    await refused('gh', body, sign.github(body, 'another-key'), 'x-hub-signature-256', 'mismatch');
    await refused('gh', body, {}, 'x-hub-signature-256', 'missing');
    await refused('gh', body.replace('a1', 'a2'), sign.github(body), 'x-hub-signature-256', 'mismatch');
    await refused('gh', body, { 'x-hub-signature-256': `sha1=${mac('sha1', KEYS.github, body, 'hex')}` }, 'x-hub-signature-256', 'malformed');
    // A prefix of the right signature is not accepted (no truncated MACs).
    const good = sign.github(body)['x-hub-signature-256'];
    await refused('gh', body, { 'x-hub-signature-256': good.slice(0, 40) }, 'x-hub-signature-256', 'malformed');
  });

  it('Stripe: any v1 may match; wrong, missing, tampered and an old timestamp are 401 and not stored', async () => {
    const body = JSON.stringify({ id: 'evt_1', type: 'charge.succeeded' });
    await ranVerified('st', body, sign.stripe(body), 'stripe');
    const t = now();
    const rolled = `t=${t},v1=${mac('sha256', 'old-key', `${t}.${body}`, 'hex')},v1=${mac('sha256', KEYS.stripe, `${t}.${body}`, 'hex')},v0=00`;
    await ranVerified('st', body, { 'stripe-signature': rolled }, 'stripe');
    await refused('st', body, sign.stripe(body, now(), 'whsec_wrong'), 'stripe-signature', 'mismatch');
    await refused('st', body, {}, 'stripe-signature', 'missing');
    await refused('st', body.replace('evt_1', 'evt_2'), sign.stripe(body), 'stripe-signature', 'mismatch');
    await refused('st', body, sign.stripe(body, now() - 301), 'stripe-signature', 'expired');
    await refused('st', body, { 'stripe-signature': `t=${t}` }, 'stripe-signature', 'malformed');
  });

  it('Slack: signed runs; wrong, missing (either header), tampered and an old timestamp are 401 and not stored', async () => {
    const body = JSON.stringify({ type: 'event_callback', event: { type: 'message' } });
    await ranVerified('sl', body, sign.slack(body), 'slack');
    await refused('sl', body, sign.slack(body, now(), 'wrong'), 'x-slack-signature', 'mismatch');
    await refused('sl', body, {}, 'x-slack-signature', 'missing');
    const { 'x-slack-signature': sig } = sign.slack(body);
    await refused('sl', body, { 'x-slack-signature': sig }, 'x-slack-request-timestamp', 'missing');
    await refused('sl', body.replace('message', 'reaction'), sign.slack(body), 'x-slack-signature', 'mismatch');
    await refused('sl', body, sign.slack(body, now() - 600), 'x-slack-request-timestamp', 'expired');
  });

  it('Standard Webhooks: signed runs (among other signatures); wrong, missing, tampered and old are 401', async () => {
    const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'in_1' } });
    await ranVerified('sw', body, sign.standard(body), 'standard-webhooks');
    const signed = sign.standard(body);
    const several = { ...signed, 'webhook-signature': `v1a,${randomBytes(64).toString('base64')} v1,${randomBytes(32).toString('base64')} ${signed['webhook-signature']}` };
    await ranVerified('sw', body, several, 'standard-webhooks');
    await refused('sw', body, sign.standard(body, now(), `whsec_${randomBytes(24).toString('base64')}`), 'webhook-signature', 'mismatch');
    await refused('sw', body, {}, 'webhook-id', 'missing');
    await refused('sw', body.replace('in_1', 'in_2'), sign.standard(body), 'webhook-signature', 'mismatch');
    await refused('sw', body, sign.standard(body, now() - 3600), 'webhook-timestamp', 'expired');
    await refused('sw', body, sign.standard(body, now() + 3600), 'webhook-timestamp', 'expired');
  });

  it('generic HMAC (Shopify: base64 HMAC-SHA256 of the body): signed runs; wrong, missing, tampered are 401', async () => {
    const body = JSON.stringify({ id: 820982911946154500, topic: 'orders/create' });
    await ranVerified('shop', body, sign.shopify(body), 'hmac');
    await refused('shop', body, sign.shopify(body, 'wrong'), 'x-shopify-hmac-sha256', 'mismatch');
    await refused('shop', body, {}, 'x-shopify-hmac-sha256', 'missing');
    await refused('shop', body.replace('create', 'delete'), sign.shopify(body), 'x-shopify-hmac-sha256', 'mismatch');
  });

  it('a compressed delivery is verified over its decoded body (what providers sign)', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/gz', padding: 'x'.repeat(500) });
    const gz = gzipSync(body);
    await ranVerified('gh', body, { ...sign.github(body), 'content-encoding': 'gzip' }, 'github', { body: gz });
    const before = await jobCount('gh');
    const overWire = { 'x-hub-signature-256': `sha256=${createHmac('sha256', KEYS.github).update(gz).digest('hex')}`, 'content-encoding': 'gzip' };
    const res = await deliver('gh', body, overWire, { body: gz });
    assert.equal(res.status, 401);
    assert.equal(await jobCount('gh'), before);
  });

  it('refusals are counted as refused deliveries and logged (rate-limited) with the header, never a signature', async () => {
    const metrics = async () => {
      const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.adminKey}` } });
      const m = /airlock_webhook_deliveries_total\{result="refused"\} (\d+)/.exec(await res.text());
      return Number(m?.[1] ?? 0);
    };
    const before = await metrics();
    const body = '{"a":1}';
    await refused('gh', body, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, 'x-hub-signature-256', 'mismatch');
    assert.equal(await metrics(), before + 1);
    const line = await log.waitFor((l) => l.code === 'WEBHOOK_SIGNATURE_INVALID' && l.function === 'gh', 'the refusal log line');
    assert.equal(line.level, 40);
    assert.equal(line.tenant, 'acme');
    assert.match(String(line.reason), /^x-hub-signature-256 /);
    assert.doesNotMatch(log.text(), /whk_/, 'no webhook token in the log');
  });

  it('a secret bound to hosts, or none, cannot be named; other options are checked', async () => {
    await server.request('PUT', `${T}/secrets/api-token`, { value: 'sk_live_abc', hosts: ['api.stripe.com'] });
    const bound = await server.request('PUT', `${T}/functions/gh/webhook/verify`, { preset: 'github', secret: 'api-token' });
    assert.equal(bound.status, 400);
    assert.equal(bound.body.error.field, 'secret');
    assert.match(bound.body.error.message, /bound to hosts.*--signing-key/s);
    const missing = await server.request('PUT', `${T}/functions/gh/webhook/verify`, { preset: 'github', secret: 'nope' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'SECRET_NOT_FOUND');
    const noHeader = await server.request('PUT', `${T}/functions/gh/webhook/verify`, { preset: 'hmac', secret: 'gh-key' });
    assert.equal(noHeader.status, 400);
    assert.equal(noHeader.body.error.field, 'header');
    const tolerance = await server.request('PUT', `${T}/functions/gh/webhook/verify`, { preset: 'github', secret: 'gh-key', toleranceSeconds: 60 });
    assert.equal(tolerance.status, 400);
    const unknown = await server.request('PUT', `${T}/functions/gh/webhook/verify`, { preset: 'gitlab', secret: 'gh-key' });
    assert.equal(unknown.status, 400);
    // A Standard Webhooks secret that holds no such key would refuse every delivery 503: refused now.
    await server.request('PUT', `${T}/secrets/plain-key`, { value: 'hmackey!', hosts: [] });
    const notStandard = await server.request('PUT', `${T}/functions/gh/webhook/verify`, { preset: 'standard-webhooks', secret: 'plain-key' });
    assert.equal(notStandard.status, 400, JSON.stringify(notStandard.body));
    assert.equal(notStandard.body.error.field, 'secret');
    assert.match(notStandard.body.error.message, /^secret plain-key holds no Standard Webhooks key: its value must be whsec_ followed by base64/);
    assert.doesNotMatch(notStandard.body.error.message, /hmackey/, 'the value is never echoed');
    // Still the GitHub setting after the refusals.
    assert.equal((await server.request('GET', `${T}/functions/gh/webhook/verify`)).body.secret, 'gh-key');
  });

  it('a deleted signing secret makes deliveries 503 (not stored, operator told); setting it again heals at once', async () => {
    await deploy(server, 'acme', 'gone', FN);
    await server.request('PUT', `${T}/secrets/gone-key`, { value: KEYS.github, hosts: [] });
    assert.equal((await server.request('PUT', `${T}/functions/gone/webhook/verify`, { preset: 'github', secret: 'gone-key' })).status, 201);
    paths.gone = (await server.request('GET', `${T}/functions/gone/webhook`)).body.path;
    const body = '{"n":1}';
    assert.equal((await deliver('gone', body, sign.github(body))).status, 202);
    assert.equal((await server.request('DELETE', `${T}/secrets/gone-key`)).status, 204);
    const before = await jobCount('gone');
    const res = await deliver('gone', body, sign.github(body));
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'WEBHOOK_SECRET_UNAVAILABLE');
    assert.doesNotMatch(res.body.error.message, /gone-key/, 'the sender is not told the secret name');
    assert.equal(await jobCount('gone'), before);
    const line = await log.waitFor((l) => l.code === 'WEBHOOK_SECRET_UNAVAILABLE', 'the operator line');
    assert.deepEqual([line.level, line.tenant, line.function, line.secret], [50, 'acme', 'gone', 'gone-key']);
    await server.request('PUT', `${T}/secrets/gone-key`, { value: KEYS.github, hosts: [] });
    assert.equal((await deliver('gone', body, sign.github(body))).status, 202);
  });

  it('tenant keys reach only their own tenant (403 otherwise)', async () => {
    const other = (await server.request('POST', '/v1/tenants/globex/keys')).body.key as string;
    const own = (await server.request('POST', '/v1/tenants/acme/keys')).body.key as string;
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const body = method === 'PUT' ? { preset: 'github', secret: 'gh-key' } : undefined;
      const res = await server.request(method, `${T}/functions/gh/webhook/verify`, body, other);
      assert.equal(res.status, 403, method);
    }
    const mine = await server.request('GET', `${T}/functions/gh/webhook/verify`, undefined, own);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.preset, 'github');
  });

  it('shown in GET function and GET webhook; kept by rotation and a restart; removed by DELETE and with the function', async () => {
    const fnView = await server.request('GET', `${T}/functions/st`);
    assert.deepEqual(
      { ...fnView.body.webhook.verify, createdAt: 'x', updatedAt: 'x' },
      { preset: 'stripe', secret: 'stripe-key', toleranceSeconds: 300, createdAt: 'x', updatedAt: 'x' },
    );
    const rotated = await server.request('POST', `${T}/functions/st/webhook/rotate`);
    assert.equal(rotated.body.verify.preset, 'stripe');
    paths.st = rotated.body.path;
    await server.close();
    server = await start();
    const body = '{"id":"evt_after_restart"}';
    await refused('st', body, {}, 'stripe-signature', 'missing');
    await ranVerified('st', body, sign.stripe(body), 'stripe');

    assert.equal((await server.request('DELETE', `${T}/functions/st/webhook/verify`)).status, 204);
    assert.equal((await server.request('GET', `${T}/functions/st/webhook/verify`)).status, 404);
    assert.equal((await server.request('DELETE', `${T}/functions/st/webhook/verify`)).status, 404);
    const plain = await deliver('st', body, {});
    assert.equal(plain.status, 202);
    assert.equal(((await waitJob(server, 'acme', plain.body.jobId, finished)).result as { verified: unknown }).verified, null);

    assert.equal((await server.request('DELETE', `${T}/functions/sl`)).status, 204);
    await deploy(server, 'acme', 'sl', FN);
    assert.equal((await server.request('GET', `${T}/functions/sl/webhook/verify`)).status, 404, 'deleting the function deleted it');
    assert.equal((await server.request('GET', `${T}/functions/sl`)).body.webhook.verify, undefined);
    assert.equal((await server.request('GET', `${T}/functions/nope/webhook/verify`)).body.error.code, 'FUNCTION_NOT_FOUND');
  });

  it('no signing key appears in any answer or log line', async () => {
    const answers = [
      await server.request('GET', `${T}/secrets`),
      await server.request('GET', `${T}/functions/gh`),
      await server.request('GET', `${T}/functions/gh/webhook`),
      await server.request('GET', `${T}/functions/gh/webhook/verify`),
      await server.request('PUT', `${T}/functions/sw/webhook/verify`, { preset: 'standard-webhooks', secret: 'std-key', toleranceSeconds: 60 }),
    ];
    const text = JSON.stringify(answers.map((a) => a.body)) + log.text();
    for (const [name, value] of Object.entries(KEYS)) {
      assert.ok(!text.includes(value), `${name} key leaked`);
      assert.ok(!text.includes(value.slice(6, 26)), `${name} key leaked in part`);
    }
  });
});
