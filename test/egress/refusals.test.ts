// Refusals happen before any connection: the connector injected here fails the test if it is
// called, and for policy and secret refusals the resolver must not be asked either. Covers
// private, loopback, metadata, CGNAT, mapped IPv6, mixed answers, hosts outside the allowlist,
// secrets to the wrong host, and redirects to refused hosts or addresses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isAirlockError } from '../../src/core/errors.js';
import { countingConnector, forbiddenConnector, openSession, secretSource, startHttpServer, tableResolver } from './support.js';
import type { TestHttpServer } from './support.js';
import type { Connector } from '../../src/egress/transport.js';

const deniedWith = (pattern: RegExp) => (e: unknown) => isAirlockError(e) && e.code === 'EGRESS_DENIED' && pattern.test(e.message);
const anyHost = { allow: [{ host: 'api.test' }, { host: '*.test' }] };

describe('refused before any connection', () => {
  const cases: [string, string, Record<string, string[]>, string[], RegExp][] = [
    ['a name resolving to a private address', 'http://api.test/', { 'api.test': ['10.0.0.5'] }, [], /private/],
    ['loopback without an allowance', 'http://api.test/', { 'api.test': ['127.0.0.1'] }, [], /loopback/],
    ['a name mixing public and private answers', 'http://api.test/', { 'api.test': ['93.184.216.34', '192.168.1.1'] }, [], /private/],
    ['a name resolving to IPv4-mapped loopback', 'http://api.test/', { 'api.test': ['::ffff:127.0.0.1'] }, [], /loopback.*IPv4-mapped/],
    ['a name resolving to NAT64 metadata', 'http://api.test/', { 'api.test': ['64:ff9b::a9fe:a9fe'] }, ['169.254.0.0/16'], /cloud metadata/],
    ['a name resolving to CGNAT', 'http://api.test/', { 'api.test': ['100.64.1.1'] }, [], /carrier-grade NAT/],
    ['a name resolving to a ULA', 'http://api.test/', { 'api.test': ['fd12::1'] }, [], /unique local/],
    ['a name resolving to link-local IPv6', 'http://api.test/', { 'api.test': ['fe80::1'] }, [], /link-local/],
  ];
  for (const [what, url, table, allow, reason] of cases) {
    it(`refuses ${what}`, async () => {
      const resolver = tableResolver(table);
      const session = openSession({ policy: anyHost, resolver, connector: forbiddenConnector, allowCidrs: allow });
      await assert.rejects(session.fetch({ method: 'GET', url, headers: [] }), deniedWith(reason));
      assert.deepEqual(resolver.calls, ['api.test']);
      assert.equal(session.records.length, 1);
      assert.equal(session.records[0]?.error, 'EGRESS_DENIED');
      assert.equal(session.records[0]?.status, null);
    });
  }

  const literals: [string, string, string[], RegExp][] = [
    ['the metadata address, even inside an allowed range', 'http://169.254.169.254/latest/meta-data/', ['169.254.0.0/16'], /cloud metadata/],
    ['the IPv6 metadata address', 'http://[fd00:ec2::254]/', ['fd00::/8'], /cloud metadata/],
    ['a mapped IPv6 loopback literal', 'http://[::ffff:127.0.0.1]/', [], /loopback/],
    ['a CGNAT literal', 'http://100.72.1.2/', [], /carrier-grade NAT/],
    ['Alibaba Cloud metadata, inside an allowed carrier-grade NAT range', 'http://100.100.100.200/', ['100.64.0.0/10'], /cloud metadata/],
    ['a private literal', 'http://10.1.2.3/', [], /private/],
    ['IPv6 loopback', 'http://[::1]/', [], /loopback/],
  ];
  for (const [what, url, allow, reason] of literals) {
    it(`refuses ${what} without a lookup`, async () => {
      const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      const resolver = tableResolver({});
      const session = openSession({ policy: { allow: [{ host }] }, resolver, connector: forbiddenConnector, allowCidrs: allow });
      await assert.rejects(session.fetch({ method: 'GET', url, headers: [] }), deniedWith(reason));
      assert.deepEqual(resolver.calls, []);
    });
  }

  it('refuses hosts outside the allowlist, other schemes and userinfo without resolving', async () => {
    const resolver = tableResolver({ 'evil.example': ['8.8.8.8'] });
    const session = openSession({ policy: { allow: [{ host: 'api.test' }] }, resolver, connector: forbiddenConnector });
    await assert.rejects(session.fetch({ method: 'GET', url: 'https://evil.example/', headers: [] }), deniedWith(/not in the function's egress allowlist/));
    await assert.rejects(session.fetch({ method: 'GET', url: 'ftp://api.test/', headers: [] }), deniedWith(/only http: and https:/));
    await assert.rejects(session.fetch({ method: 'GET', url: 'https://u:p@api.test/', headers: [] }), deniedWith(/user name or password/));
    await assert.rejects(session.fetch({ method: 'CONNECT', url: 'https://api.test/', headers: [] }), deniedWith(/method/));
    assert.deepEqual(resolver.calls, []);
    assert.deepEqual(session.records.map((r) => r.error), ['EGRESS_DENIED', 'EGRESS_DENIED', 'EGRESS_DENIED', 'EGRESS_DENIED']);
  });

  it('refuses a secret for a host it is not bound to, an unknown secret, and placeholders in the host', async () => {
    const secrets = secretSource([{ name: 'TOKEN', hosts: ['other.test'], value: 'v' }]);
    const resolver = tableResolver({ 'api.test': ['8.8.8.8'] });
    const session = openSession({ policy: anyHost, resolver, connector: forbiddenConnector, secrets });
    await assert.rejects(
      session.fetch({ method: 'GET', url: 'https://api.test/', headers: [['authorization', 'Bearer {{secrets.TOKEN}}']] }),
      deniedWith(/^secret TOKEN is not bound to host api\.test \(bound to: other\.test\); bind the secret to this host too to send it there: set it again with its value and `--hosts other\.test,api\.test` \(airlock secrets set acme TOKEN\)$/),
    );
    // The message gives the command that creates the secret for this tenant and host.
    await assert.rejects(
      session.fetch({ method: 'GET', url: 'https://api.test/x/{{secrets.nope}}', headers: [] }),
      deniedWith(/^the request refers to \{\{secrets\.nope\}\} but tenant acme has no secret named nope; create it, bound to this host, with `printf %s "\$VALUE" \| airlock secrets set acme nope --hosts api\.test` \(PUT \/v1\/tenants\/acme\/secrets\/nope; see docs\/secrets\.md\), or fix the name in the placeholder$/),
    );
    await assert.rejects(session.fetch({ method: 'GET', url: 'https://{{secrets.TOKEN}}.test/', headers: [] }), deniedWith(/never in the host/));
    assert.deepEqual(resolver.calls, []);
    assert.equal(session.usedSecrets, false);
  });

  it('quotes a host the function named in the command its refusal gives, so pasting it runs nothing', async () => {
    // WHATWG URLs allow $ ( ) ` ; & ' in a host name: a function could have the command run its own.
    const secrets = secretSource([{ name: 'TOKEN', hosts: ['other.test'], value: 'v' }]);
    const resolver = tableResolver({});
    const session = openSession({ policy: anyHost, resolver, connector: forbiddenConnector, secrets });
    const host = "$(reboot)`id`;x&'y.test";
    await assert.rejects(
      session.fetch({ method: 'GET', url: `https://${host}/{{secrets.nope}}`, headers: [] }),
      (err: Error) => err.message.includes(`airlock secrets set acme nope --hosts '$(reboot)\`id\`;x&'\\''y.test'\``),
    );
    await assert.rejects(
      session.fetch({ method: 'GET', url: `https://${host}/`, headers: [['authorization', '{{secrets.TOKEN}}']] }),
      (err: Error) => err.message.includes(`\`--hosts 'other.test,$(reboot)\`id\`;x&'\\''y.test'\``),
    );
    assert.deepEqual(resolver.calls, []);
  });

  it('refuses a mistyped placeholder instead of sending it to the third party as written', async () => {
    const secrets = secretSource([{ name: 'TOKEN', hosts: ['api.test'], value: 'v' }]);
    const resolver = tableResolver({ 'api.test': ['8.8.8.8'] });
    const session = openSession({ policy: anyHost, resolver, connector: forbiddenConnector, secrets });
    const mistyped: [string, [string, string][]][] = [
      ['https://api.test/', [['authorization', 'Bearer {{secret.TOKEN}}']]],
      ['https://api.test/', [['x-key', '{{ Secrets.TOKEN }}']]],
      ['https://api.test/v1/{{secrets.bad name}}', []],
      ['https://api.test/v1?key={{secret.TOKEN}}', []],
    ];
    for (const [url, headers] of mistyped) {
      await assert.rejects(
        session.fetch({ method: 'GET', url, headers }),
        deniedWith(/looks like a secret placeholder but is not one, so it would be sent as written; write \{\{secrets\.NAME\}\}/),
        url + JSON.stringify(headers),
      );
    }
    assert.deepEqual(resolver.calls, []);
  });

  it('refuses a placeholder in the body (it would be sent as written), saying where secrets go', async () => {
    const secrets = secretSource([{ name: 'CLIENT_SECRET', hosts: ['api.test'], value: 'v' }]);
    const resolver = tableResolver({ 'api.test': ['8.8.8.8'] });
    const session = openSession({ policy: anyHost, resolver, connector: forbiddenConnector, secrets });
    for (const body of ['grant_type=client_credentials&client_secret={{secrets.CLIENT_SECRET}}', '{"key": "{{ secrets.CLIENT_SECRET }}"}']) {
      await assert.rejects(
        session.fetch({ method: 'POST', url: 'https://api.test/oauth/token', headers: [], body: Buffer.from(body) }),
        deniedWith(/^the request body has \{\{secrets\.CLIENT_SECRET\}\}, but secrets are filled in only in header values .* "Basic " \+ base64\("id:secret"\)/),
      );
    }
    assert.deepEqual(resolver.calls, []);
    // A body that only talks about braces goes on to the connection (answered here, in-process).
    const bodies: string[] = [];
    const answering: Connector = async (req) => {
      bodies.push(String(req.body));
      return { status: 200, statusText: 'OK', headers: [], body: Buffer.alloc(0) };
    };
    const sent = openSession({ policy: anyHost, resolver, connector: answering, secrets });
    const res = await sent.fetch({ method: 'POST', url: 'https://api.test/t', headers: [], body: Buffer.from('{"template": "{{name}}"}') });
    assert.equal(res.status, 200);
    assert.deepEqual(bodies, ['{"template": "{{name}}"}']);
  });
});

describe('refusals that depend on what was substituted or counted', () => {
  it('re-checks the policy after substitution: a secret cannot climb out of a path prefix', async () => {
    const secrets = secretSource([{ name: 'DOTS', hosts: ['api.test'], value: '..' }]);
    const resolver = tableResolver({ 'api.test': ['8.8.8.8'] });
    const session = openSession({ policy: { allow: [{ host: 'api.test', pathPrefixes: ['/v1/'] }] }, resolver, connector: forbiddenConnector, secrets });
    await assert.rejects(session.fetch({ method: 'GET', url: 'https://api.test/v1/{{secrets.DOTS}}/admin', headers: [] }), deniedWith(/outside the function's egress rules/));
    assert.deepEqual(resolver.calls, []);
    assert.equal(session.records[0]?.path, '/admin', 'the record shows where it would have gone');
  });

  it('refuses a secret holding a line break in a header, naming the secret, the header and the fix, without connecting', async () => {
    const secrets = secretSource([{ name: 'TOKEN', hosts: ['api.test'], value: 'sk_file\n' }]);
    const resolver = tableResolver({ 'api.test': ['8.8.8.8'] });
    const session = openSession({ policy: anyHost, resolver, connector: forbiddenConnector, secrets });
    await assert.rejects(
      session.fetch({ method: 'GET', url: 'https://api.test/', headers: [['Authorization', 'Bearer {{secrets.TOKEN}}']] }),
      deniedWith(/^the secret TOKEN holds a line break \(often a file's final newline\) and cannot be sent in the authorization header; set it again without it/),
    );
  });

  it('keeps a bounded number of records however many refused requests a function makes', async () => {
    const session = openSession({ policy: { allow: [{ host: 'api.test' }], limits: { requests: 2, requestBytes: 0, responseBytes: 0, timeoutMs: 1000 } } });
    for (let i = 0; i < 200; i++) {
      await assert.rejects(session.fetch({ method: 'GET', url: 'https://elsewhere.test/', headers: [] }), deniedWith(/allowlist/));
    }
    assert.equal(session.records.length, 52);
  });
});

describe('redirects to refused targets', () => {
  let server: TestHttpServer;
  before(async () => {
    server = await startHttpServer((req, res) => {
      const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '/';
      res.writeHead(302, { location: to }).end();
    });
  });
  after(() => server.close());

  const hops: [string, (port: number) => string, RegExp][] = [
    ['a host resolving to a private address', (p) => `http://internal.test:${p}/`, /private/],
    ['a host outside the allowlist', () => 'http://elsewhere.example/', /not in the function's egress allowlist/],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/', /not in the function's egress allowlist/],
    ['a file: URL', () => 'file:///etc/passwd', /only http: and https:/],
  ];
  for (const [what, target, reason] of hops) {
    it(`refuses a redirect to ${what} after one connection`, async () => {
      const connector = countingConnector();
      const resolver = tableResolver({ 'api.test': ['127.0.0.1'], 'internal.test': ['10.0.0.1'] });
      const session = openSession({ policy: { allow: [{ host: 'api.test', ports: [server.port] }, { host: 'internal.test', ports: [server.port] }] }, resolver, connector });
      const url = `http://api.test:${server.port}/r?to=${encodeURIComponent(target(server.port))}`;
      await assert.rejects(session.fetch({ method: 'GET', url, headers: [] }), deniedWith(reason));
      await assert.rejects(session.fetch({ method: 'GET', url, headers: [] }), deniedWith(new RegExp(`^after a 302 redirect from ${escape(url)}: `)));
      assert.deepEqual(connector.calls, ['api.test@127.0.0.1', 'api.test@127.0.0.1'], 'only the first hop connected');
      assert.deepEqual(session.records.map((r) => r.status ?? r.error), [302, 'EGRESS_DENIED', 302, 'EGRESS_DENIED']);
    });
  }

  it('says a refusal came from following redirects, naming the URL the function fetched (its secrets masked)', async () => {
    const secrets = secretSource([{ name: 'TOKEN', hosts: ['api.test'], value: 'tok-s3cr3t' }]);
    const resolver = tableResolver({ 'api.test': ['127.0.0.1'] });
    const session = openSession({
      policy: { allow: [{ host: 'api.test', ports: [server.port], pathPrefixes: ['/r'] }] }, resolver, connector: countingConnector(), secrets,
    });
    const origin = `http://api.test:${server.port}`;
    const once = `${origin}/r?to=${encodeURIComponent('/other')}`;
    await assert.rejects(session.fetch({ method: 'GET', url: once, headers: [] }), (e: unknown) => {
      assert.equal(
        (e as Error).message,
        `after a 302 redirect from ${once}: GET ${origin}/other is outside the function's egress rules for this host ` +
          "(port, method or path prefix); widen the rule in the egress policy and redeploy; or fetch with redirect: 'manual' to read the redirect instead of following it",
      );
      return true;
    });
    const twice = `${origin}/r?to=${encodeURIComponent(`/r?to=${encodeURIComponent('http://elsewhere.example/')}`)}&key={{secrets.TOKEN}}`;
    await assert.rejects(session.fetch({ method: 'GET', url: twice, headers: [] }), (e: unknown) => {
      const message = (e as Error).message;
      assert.ok(
        message.startsWith(`after 2 redirects from ${twice.replace('{{secrets.TOKEN}}', '[secret:TOKEN]')} (the last a 302): host elsewhere.example is not in`),
        message,
      );
      assert.doesNotMatch(message, /s3cr3t/);
      return true;
    });
    // A request refused before any redirect says nothing of redirects.
    await assert.rejects(session.fetch({ method: 'GET', url: `${origin}/other`, headers: [] }), deniedWith(/^GET http:\/\/api\.test:\d+\/other is outside/));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
