// A job run that gets a secret back, logs it and saves it in a checkpoint: the logs of its run in
// progress (currentRun of GET …/jobs/{id}) and the stored checkpoint are masked like the record,
// never the secret's value. Real HTTP, bwrap, SQLite and a 127.0.0.1 upstream.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, submit } from '../api/jobs-support.js';
import { secretSource, startHttpServer } from './support.js';
import type { TestHttpServer } from './support.js';

describe('a running job that used a secret', () => {
  let api: TestServer;
  let target: TestHttpServer;
  before(async () => {
    // The token reversed: a transformation the broker cannot recognise in the response, so the
    // sandbox does get the value back (it reverses it again) and logs it.
    target = await startHttpServer((req, res) => void res.end([...(req.headers.authorization ?? '')].reverse().join('')));
    api = await startTestServer(
      { ...FAST_JOBS, AIRLOCK_EGRESS_ALLOW_CIDRS: '127.0.0.1/32' },
      { secrets: secretSource([{ name: 'TOKEN', hosts: ['127.0.0.1'], value: 'sk-live-abcdef' }]) },
    );
    await deploy(api, 'acme', 'echo-sync', `export default async (input, ctx) => {
      const res = await fetch(input.base + '/me', { headers: { authorization: 'Bearer {{secrets.TOKEN}}' } });
      const echoed = [...await res.text()].reverse().join('');
      console.log('you sent', echoed);
      await ctx.checkpoint.save({ echoed });
      await new Promise((r) => setTimeout(r, 120_000));
    };`, { egress: { allow: [{ host: '127.0.0.1', ports: [target.port] }] } });
  });
  after(async () => {
    await api.close();
    await target.close();
  });

  it('shows its logs so far and its checkpoint masked', async () => {
    const id = await submit(api, 'acme', 'echo-sync', { input: { base: `http://127.0.0.1:${target.port}` } });
    const deadline = Date.now() + 30_000;
    let view: { currentRun?: { logs: { msg: string }[] }; checkpoint?: unknown };
    for (;;) {
      view = (await api.request('GET', `/v1/tenants/acme/jobs/${id}`)).body;
      if ((view.currentRun?.logs.length ?? 0) >= 1 && view.checkpoint !== undefined) break;
      if (Date.now() > deadline) assert.fail(`no logs in progress: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(target.seen.at(-1)?.headers.authorization, 'Bearer sk-live-abcdef', 'the upstream got the real value');
    assert.deepEqual(view.currentRun?.logs.map((l) => l.msg), ['you sent Bearer [secret:TOKEN]']);
    assert.deepEqual(view.checkpoint, { echoed: 'Bearer [secret:TOKEN]' });
    assert.equal((await api.request('POST', `/v1/tenants/acme/jobs/${id}/cancel`)).status, 200);
  });
});
