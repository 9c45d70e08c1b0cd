// Address tricks a function granted egress may try: loopback and metadata spelled as decimal, hex,
// octal or shortened IPv4, as IPv4-mapped IPv6 in either notation, the unspecified addresses, and
// DNS rebinding (a name that answers a public address when checked, then loopback). URL parsing
// turns every numeric spelling into the address it means before the policy and the address rules
// look at it, so each is refused without a lookup and without a connection; a name is resolved once
// per request and the connection goes to the address that was checked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAirlockError } from '../../src/core/errors.js';
import type { Connector, Resolver } from '../../src/egress/transport.js';
import { forbiddenConnector, openSession, tableResolver } from './support.js';

const denied = (pattern: RegExp) => (e: unknown) => isAirlockError(e) && e.code === 'EGRESS_DENIED' && pattern.test(e.message);

describe('numeric spellings of refused addresses', () => {
  // [url, the address it means, why that address is refused]
  const cases: [string, string, RegExp][] = [
    ['http://2130706433/', '127.0.0.1', /loopback/],
    ['http://0x7f000001/', '127.0.0.1', /loopback/],
    ['http://0177.0.0.1/', '127.0.0.1', /loopback/],
    ['http://127.1/', '127.0.0.1', /loopback/],
    ['http://0/', '0.0.0.0', /unspecified/],
    ['http://[::]/', '::', /unspecified/],
    ['http://[::ffff:7f00:1]/', '::ffff:7f00:1', /loopback \(as IPv4-mapped IPv6\)/],
    ['http://[0:0:0:0:0:ffff:127.0.0.1]/', '::ffff:7f00:1', /loopback \(as IPv4-mapped IPv6\)/],
    ['http://0xa9fea9fe/', '169.254.169.254', /cloud metadata/],
    ['http://2852039166/', '169.254.169.254', /cloud metadata/],
    ['http://[::ffff:a9fe:a9fe]/', '::ffff:a9fe:a9fe', /cloud metadata/],
  ];
  for (const [url, address, reason] of cases) {
    it(`${url} is ${address}: refused by the address rules even when allowlisted, with no lookup or connection`, async () => {
      const resolver = tableResolver({});
      // The allowlist names the address itself: only the address rules stand in the way.
      const session = openSession({ policy: { allow: [{ host: address }] }, resolver, connector: forbiddenConnector, allowCidrs: [] });
      await assert.rejects(session.fetch({ method: 'GET', url, headers: [] }), denied(reason));
      assert.deepEqual(resolver.calls, []);
    });

    it(`${url} does not match an allowlist of names`, async () => {
      const resolver = tableResolver({});
      const session = openSession({ policy: { allow: [{ host: '*.partner.test' }, { host: 'localhost' }] }, resolver, connector: forbiddenConnector });
      await assert.rejects(session.fetch({ method: 'GET', url, headers: [] }), denied(/not in the function's egress allowlist/));
      assert.deepEqual(resolver.calls, []);
    });
  }
});

describe('DNS rebinding', () => {
  it('connects to the address it checked; the next request re-resolves and is refused before connecting', async () => {
    let lookups = 0;
    // Public on the first answer, loopback from then on (a resolver the attacker controls).
    const resolver: Resolver = async () => (lookups++ === 0 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    const connected: string[] = [];
    const connector: Connector = async (req) => {
      connected.push(req.address.address);
      return { status: 200, statusText: 'OK', headers: [], body: Buffer.from('ok') };
    };
    const session = openSession({ policy: { allow: [{ host: 'rebind.partner.test' }] }, resolver, connector, allowCidrs: [] });
    const first = await session.fetch({ method: 'GET', url: 'http://rebind.partner.test/', headers: [] });
    assert.equal(first.status, 200);
    assert.deepEqual(connected, ['93.184.216.34'], 'the connection went to the address that was checked');
    assert.equal(lookups, 1, 'one lookup per request: nothing left for a second answer to switch');
    await assert.rejects(session.fetch({ method: 'GET', url: 'http://rebind.partner.test/', headers: [] }), denied(/loopback/));
    assert.deepEqual(connected, ['93.184.216.34'], 'no connection for the refused answer');
    assert.equal(lookups, 2);
  });
});
