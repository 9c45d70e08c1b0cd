// Red team, network: the sandbox has no interface but its own loopback. The tenant checks its
// routes first and only then tries the outside (TEST-NET 192.0.2.1, never a real host), then
// the host's loopback listeners, a host abstract unix socket, and DNS; every listener here is
// started by the test on the host and must never see a connection or a query.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { resultOf, startRedteamServer } from './support.js';
import type { RedteamServer } from './support.js';

/** Shared by the attacks: one bounded connection attempt, answered with its outcome. */
const ATTEMPT = `import { connect } from 'node:net';
  const attempt = (opts) => new Promise((resolve) => {
    const started = Date.now();
    const s = connect(opts);
    const t = setTimeout(() => (s.destroy(), resolve({ code: 'TIMEOUT', ms: Date.now() - started })), 1500);
    s.on('connect', () => (clearTimeout(t), s.destroy(), resolve({ code: 'CONNECTED', ms: Date.now() - started })));
    s.on('error', (e) => (clearTimeout(t), resolve({ code: e.code, ms: Date.now() - started })));
  });`;

function listen(server: Server, target: number | string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (typeof target === 'number') server.listen(target, '127.0.0.1', resolve);
    else server.listen(target, resolve);
  });
}

describe('red team: network', () => {
  let srv: RedteamServer;
  before(async () => {
    srv = await startRedteamServer();
  });
  after(async () => {
    await srv.stop();
  });

  it('has no interface but lo and no route; 192.0.2.1 fails at once with ENETUNREACH', async () => {
    const answer = await srv.attack(
      'no-route',
      `${ATTEMPT}
      import { readFileSync } from 'node:fs';
      export default async () => {
        const interfaces = readFileSync('/proc/net/dev', 'utf8').split('\\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean);
        const routes = readFileSync('/proc/net/route', 'utf8').trim().split('\\n').slice(1);
        const routes6 = readFileSync('/proc/net/ipv6_route', 'utf8').trim().split('\\n').filter((l) => l && !/ lo$/.test(l));
        // Only with no route at all is an outbound attempt certain to stay in here.
        if (interfaces.some((i) => i !== 'lo') || routes.length > 0 || routes6.length > 0) return { interfaces, routes, routes6, skipped: true };
        return { interfaces, routes, routes6, testNet: await attempt({ host: '192.0.2.1', port: 80 }) };
      };`,
    );
    const r = resultOf<{ interfaces: string[]; routes: string[]; routes6: string[]; skipped?: boolean; testNet?: { code: string; ms: number } }>(answer);
    srv.assertNoCanary(answer);
    assert.deepEqual(r.interfaces, ['lo']);
    assert.deepEqual(r.routes, [], 'no IPv4 route');
    assert.deepEqual(r.routes6, [], 'no IPv6 route off lo');
    assert.equal(r.skipped, undefined);
    assert.equal(r.testNet?.code, 'ENETUNREACH', 'refused by the kernel, not timed out');
  });

  it("cannot reach a TCP listener on the host's 127.0.0.1", async () => {
    let accepted = 0;
    const tcp = createServer((s) => (accepted++, s.destroy()));
    await listen(tcp, 0);
    try {
      const port = (tcp.address() as { port: number }).port;
      const answer = await srv.attack(
        'host-loopback',
        `${ATTEMPT}
        export default async (input) => ({
          v4: await attempt({ host: '127.0.0.1', port: input.port }),
          v6: await attempt({ host: '::1', port: input.port }),
          server: await attempt({ host: '127.0.0.1', port: input.serverPort }),
        });`,
        { input: { port, serverPort: Number(new URL(srv.url).port) } },
      );
      const r = resultOf<Record<string, { code: string }>>(answer);
      srv.assertNoCanary(answer);
      // The sandbox's own loopback has nothing listening there.
      assert.equal(r.v4?.code, 'ECONNREFUSED');
      assert.ok(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENETUNREACH'].includes(r.v6!.code), r.v6!.code);
      assert.equal(r.server?.code, 'ECONNREFUSED', "the Airlock API itself is out of reach");
      assert.equal(accepted, 0, 'no connection reached the host listener');
    } finally {
      tcp.close();
    }
  });

  it('cannot reach an abstract unix socket of the host', async () => {
    let accepted = 0;
    const abstract = createServer((s) => (accepted++, s.destroy()));
    const name = `\0airlock-rt-${randomBytes(6).toString('hex')}`;
    await listen(abstract, name);
    try {
      const answer = await srv.attack(
        'abstract-socket',
        `${ATTEMPT}
        import { readFileSync } from 'node:fs';
        export default async (input) => ({
          connect: await attempt({ path: input.name }),
          visible: readFileSync('/proc/net/unix', 'latin1').includes(input.name.slice(1)),
        });`,
        { input: { name } },
      );
      const r = resultOf<{ connect: { code: string }; visible: boolean }>(answer);
      srv.assertNoCanary(answer);
      assert.equal(r.connect.code, 'ECONNREFUSED');
      assert.equal(r.visible, false, "the host's socket is not even listed");
      assert.equal(accepted, 0);
    } finally {
      abstract.close();
    }
  });

  it('DNS fails: no resolver is reachable, and a host DNS listener gets no query', async () => {
    let queries = 0;
    const dns = createSocket('udp4');
    dns.on('message', () => queries++);
    await new Promise<void>((resolve) => dns.bind(0, '127.0.0.1', resolve));
    try {
      const port = dns.address().port;
      const answer = await srv.attack(
        'dns',
        `import { promises as dns } from 'node:dns'; import { readFileSync } from 'node:fs';
        const bounded = (p) => Promise.race([p.then((v) => ({ ok: v }), (e) => ({ code: e.code })), new Promise((r) => setTimeout(() => r({ code: 'TIMEOUT' }), 1500))]);
        export default async (input) => {
          const routes = readFileSync('/proc/net/route', 'utf8').trim().split('\\n').slice(1);
          if (routes.length > 0) return { skipped: true, routes };
          const resolver = new dns.Resolver({ timeout: 200, tries: 1 });
          resolver.setServers(['127.0.0.1:' + input.port]);
          let resolvConf;
          try { resolvConf = readFileSync('/etc/resolv.conf', 'utf8'); } catch (e) { resolvConf = e.code; }
          return {
            resolvConf,
            lookup: await bounded(dns.lookup('airlock-redteam.invalid')),
            hostDns: await bounded(resolver.resolve4('airlock-redteam.invalid')),
          };
        };`,
        { input: { port } },
      );
      const r = resultOf<{ skipped?: boolean; resolvConf: string; lookup: { code?: string }; hostDns: { code?: string } }>(answer);
      srv.assertNoCanary(answer);
      assert.equal(r.skipped, undefined);
      assert.equal(r.resolvConf, 'ENOENT', 'no resolver configuration inside');
      assert.ok(r.lookup.code !== undefined && ['EAI_AGAIN', 'ENOTFOUND'].includes(r.lookup.code), JSON.stringify(r.lookup));
      // The query to "127.0.0.1:<port>" goes to the sandbox's own loopback, where nobody listens.
      assert.ok(r.hostDns.code !== undefined && ['ECONNREFUSED', 'ETIMEOUT'].includes(r.hostDns.code), JSON.stringify(r.hostDns));
      assert.equal(queries, 0, 'the host DNS listener saw no query');
    } finally {
      dns.close();
    }
  });
});
