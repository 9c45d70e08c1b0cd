// `airlock hooks` against a real server: show prints the URL to give the third party (a URL that
// really takes deliveries), rotate prints a new one and the old stops working, --json, and
// errors for unknown functions and bad usage; verify sets, shows and turns off signature
// verification with a signing key stored by `secrets set --signing-key`, never printing the key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { runCli } from '../support/process.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, finished, waitJob } from '../api/jobs-support.js';

describe('airlock hooks', () => {
  let server: TestServer;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer(FAST_JOBS);
    env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    await deploy(server, 'acme', 'inbox', `export default async (input) => input.body;`);
  });
  after(() => server.close());

  it('show prints a URL that takes deliveries; rotate prints a new one and retires the old', async () => {
    const shown = await runCli(['hooks', 'show', 'acme/inbox'], env);
    assert.equal(shown.code, 0, shown.stderr);
    const url = shown.stdout.trim();
    assert.match(url, new RegExp(`^${server.url}/hooks/acme/inbox/whk_[A-Za-z0-9_-]{43}$`));
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(res.status, 202);
    const { jobId } = (await res.json()) as { jobId: string };
    const job = await waitJob(server, 'acme', jobId, finished);
    assert.deepEqual([job.status, job.result], ['succeeded', 'hello']);

    const rotated = await runCli(['hooks', 'rotate', 'acme/inbox', '--json'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const fresh = JSON.parse(rotated.stdout) as { token: string; path: string; url: string };
    assert.notEqual(fresh.url, url);
    assert.equal(fresh.url, server.url + fresh.path);
    assert.equal((await fetch(url, { method: 'POST', body: 'x' })).status, 404);
    assert.equal((await fetch(fresh.url, { method: 'POST', body: 'x' })).status, 202);
    const again = await runCli(['hooks', 'show', 'acme/inbox'], env);
    assert.equal(again.stdout.trim(), fresh.url);
  });

  it('off turns the webhook off (its URL refused), show then says how to turn it on, and rotate does', async () => {
    await deploy(server, 'acme', 'muted', `export default async (input) => input.body;`);
    const url = (await runCli(['hooks', 'show', 'acme/muted'], env)).stdout.trim();
    const json = await runCli(['hooks', 'off', 'acme/muted', '--json'], env);
    assert.equal(json.code, 2, 'off has no --json');
    assert.equal((await fetch(url, { method: 'POST', body: 'x' })).status, 202, 'a refused command changed nothing');
    const off = await runCli(['hooks', 'off', 'acme/muted'], env);
    assert.equal(off.code, 0, off.stderr);
    assert.equal(off.stdout, '');
    assert.match(off.stderr, /^acme\/muted: webhook off; deliveries to its URL are refused \(turn it on with a new URL: airlock hooks rotate acme\/muted\)\n$/);
    assert.equal((await fetch(url, { method: 'POST', body: 'x' })).status, 404);
    const shown = await runCli(['hooks', 'show', 'acme/muted'], env);
    assert.equal(shown.code, 1);
    assert.match(shown.stderr, /has no webhook \(it was turned off.*airlock hooks rotate acme\/muted/);
    const fn = await runCli(['functions', 'acme/muted'], env);
    assert.match(fn.stdout, /^webhook\s+off \(turn it on with: airlock hooks rotate acme\/muted\)$/m);
    const on = await runCli(['hooks', 'rotate', 'acme/muted'], env);
    assert.equal(on.code, 0, on.stderr);
    assert.equal((await fetch(on.stdout.trim(), { method: 'POST', body: 'x' })).status, 202);
  });

  it('verify: a signing key from stdin, then --preset/--secret, shown by verify and show, enforced, and --off', async () => {
    const key = `whsec_${randomBytes(20).toString('hex')}`;
    const saved = await runCli(['secrets', 'set', 'acme', 'gh-hook', '--signing-key'], env, key + '\n');
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stdout, /as a webhook signing key \(sent to no host\)/);
    const set = await runCli(['hooks', 'verify', 'acme/inbox', '--preset', 'github', '--secret', 'gh-hook'], env);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'acme/inbox: deliveries must carry a valid github signature (x-hub-signature-256); key: secret gh-hook\n');
    const json = await runCli(['hooks', 'verify', 'acme/inbox', '--json'], env);
    assert.deepEqual({ ...JSON.parse(json.stdout), createdAt: 0, updatedAt: 0 }, { preset: 'github', secret: 'gh-hook', createdAt: 0, updatedAt: 0 });
    const shown = await runCli(['hooks', 'show', 'acme/inbox'], env);
    const url = shown.stdout.trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/hooks\/acme\/inbox\/whk_/, 'stdout is the URL alone (scripts capture it)');
    assert.match(shown.stderr, /valid github signature/);
    const fn = await runCli(['functions', 'acme/inbox'], env);
    assert.match(fn.stdout, /signatures\s+deliveries must carry a valid github signature/);

    const body = 'signed';
    const unsigned = await fetch(url, { method: 'POST', body });
    assert.equal(unsigned.status, 401);
    const signature = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
    const signed = await fetch(url, { method: 'POST', body, headers: { 'x-hub-signature-256': signature } });
    assert.equal(signed.status, 202);

    const hmac = await runCli(['hooks', 'verify', 'acme/inbox', '--preset', 'hmac', '--secret', 'gh-hook', '--header', 'x-sig', '--encoding', 'base64', '--algorithm', 'sha512'], env);
    assert.equal(hmac.code, 0, hmac.stderr);
    assert.match(hmac.stdout, /x-sig: <base64 HMAC-SHA512 of the body>/);
    const off = await runCli(['hooks', 'verify', 'acme/inbox', '--off'], env);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /no longer verified/);
    assert.equal((await fetch(url, { method: 'POST', body })).status, 202);
    const none = await runCli(['hooks', 'verify', 'acme/inbox'], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /verifies no signatures/);
    const half = await runCli(['hooks', 'verify', 'acme/inbox', '--preset', 'github'], env);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /needs both --preset and --secret/);
    for (const out of [saved, set, json, shown, fn, hmac, off, none]) assert.ok(!(out.stdout + out.stderr).includes(key.slice(6)), 'the key is never printed');
  });

  it('an unknown function and bad usage are errors', async () => {
    const missing = await runCli(['hooks', 'show', 'acme/nope'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /FUNCTION_NOT_FOUND/);
    const usage = await runCli(['hooks', 'list'], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /airlock hooks show/);
    const target = await runCli(['hooks', 'show', 'acme'], env);
    assert.equal(target.code, 2);
  });
});
