// Address classification tables: every refused range (edges included), the IPv6 forms that
// embed an IPv4 address, public addresses that must pass, operator allowances and the special
// treatment of cloud metadata addresses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressRules, specialRange } from '../../src/egress/addresses.js';
import { formatIp, inCidr, parseCidr, parseIp } from '../../src/egress/ip.js';

const refusedByDefault: [string, RegExp][] = [
  ['0.0.0.0', /unspecified/],
  ['0.255.255.255', /unspecified/],
  ['10.0.0.0', /private/],
  ['10.255.255.255', /private/],
  ['100.64.0.0', /carrier-grade NAT/],
  ['100.127.255.255', /carrier-grade NAT/],
  ['127.0.0.1', /loopback/],
  ['127.255.255.254', /loopback/],
  ['169.254.0.1', /link-local/],
  ['169.254.169.254', /cloud metadata/],
  ['172.16.0.0', /private/],
  ['172.31.255.255', /private/],
  ['192.0.0.8', /IETF protocol/],
  ['192.0.2.1', /documentation/],
  ['192.88.99.1', /6to4 relay/],
  ['192.168.0.1', /private/],
  ['192.168.255.255', /private/],
  ['198.18.0.0', /benchmarking/],
  ['198.19.255.255', /benchmarking/],
  ['198.51.100.7', /documentation/],
  ['203.0.113.9', /documentation/],
  ['224.0.0.1', /multicast/],
  ['239.255.255.255', /multicast/],
  ['240.0.0.1', /reserved/],
  ['255.255.255.255', /broadcast/],
  ['::', /unspecified/],
  ['::1', /loopback/],
  ['fc00::1', /unique local/],
  ['fdff:ffff::1', /unique local/],
  ['fd00:ec2::254', /cloud metadata/],
  ['fe80::1', /link-local/],
  ['fe80::1%eth0', /link-local/],
  ['febf:ffff::1', /link-local/],
  ['fec0::1', /site-local/],
  ['ff02::1', /multicast/],
  ['2001:db8::1', /documentation/],
  ['3fff::1', /documentation/],
  ['2001::1', /IETF protocol assignments/],
  ['2001:2::1', /IETF protocol assignments/],
  ['100::1', /discard-only/],
  ['64:ff9b:1::1', /local-use NAT64/],
  ['4000::1', /outside global unicast/],
  ['::ffff:127.0.0.1', /loopback \(as IPv4-mapped IPv6\)/],
  ['::ffff:7f00:1', /loopback \(as IPv4-mapped IPv6\)/],
  ['::ffff:10.1.2.3', /private .*IPv4-mapped/],
  ['::ffff:169.254.169.254', /cloud metadata/],
  ['::127.0.0.1', /loopback \(as IPv4-compatible IPv6\)/],
  ['::10.0.0.1', /private .*IPv4-compatible/],
  ['64:ff9b::127.0.0.1', /loopback \(as NAT64 IPv6\)/],
  ['64:ff9b::a9fe:a9fe', /cloud metadata/],
  ['64:ff9b::192.168.1.1', /private .*NAT64/],
  ['2002:7f00:1::1', /loopback \(as 6to4 IPv6\)/],
  ['2002:c0a8:101::', /private .*6to4/],
  ['[::1]', /loopback/],
];

const publicAddresses = [
  '1.1.1.1', '8.8.8.8', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.1',
  '169.253.255.255', '169.255.0.0', '172.15.255.255', '172.32.0.0', '192.0.1.1', '192.0.3.1', '192.167.255.255',
  '192.169.0.0', '198.17.255.255', '198.20.0.0', '223.255.255.255',
  '2606:4700:4700::1111', '2a00:1450:4001::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1',
];

describe('address parsing', () => {
  it('parses IPv4 and IPv6 (embedded IPv4, zones, brackets) to bytes', () => {
    assert.equal(formatIp(parseIp('::ffff:127.0.0.1')!), '0:0:0:0:0:ffff:7f00:1');
    assert.equal(formatIp(parseIp('1:2:3:4:5:6:7.8.9.10')!), '1:2:3:4:5:6:708:90a');
    assert.equal(formatIp(parseIp('fe80::1%eth0')!), 'fe80:0:0:0:0:0:0:1');
    assert.equal(formatIp(parseIp('[2001:db8::]')!), '2001:db8:0:0:0:0:0:0');
    assert.equal(formatIp(parseIp('10.0.0.1')!), '10.0.0.1');
    for (const bad of ['', 'localhost', '1.2.3', '1.2.3.256', '::g', '1::2::3', '01.2.3.4']) {
      assert.equal(parseIp(bad), undefined, bad);
    }
  });

  it('matches CIDR ranges bit by bit and rejects malformed ranges', () => {
    assert.ok(inCidr(parseIp('100.127.255.255')!, parseCidr('100.64.0.0/10')));
    assert.ok(!inCidr(parseIp('100.128.0.0')!, parseCidr('100.64.0.0/10')));
    assert.ok(inCidr(parseIp('8.8.8.8')!, parseCidr('0.0.0.0/0')));
    assert.ok(!inCidr(parseIp('::1')!, parseCidr('0.0.0.0/0')), 'families never mix');
    assert.equal(parseCidr('127.0.0.1').prefix, 32);
    for (const bad of ['10.0.0.0/33', '::/129', 'example.com/8', '10.0.0.0/', '10.0.0.0/-1']) {
      assert.throws(() => parseCidr(bad), /invalid prefix|not an IP/, bad);
    }
  });
});

describe('address rules (no allowances)', () => {
  const rules = new AddressRules();
  for (const [address, reason] of refusedByDefault) {
    it(`refuses ${address}`, () => {
      const verdict = rules.check(address);
      assert.equal(verdict.allowed, false);
      assert.match(verdict.allowed ? '' : verdict.reason, reason);
      assert.ok(specialRange(parseIp(address)!) !== undefined);
    });
  }
  it('lets ordinary public addresses through', () => {
    for (const address of publicAddresses) assert.deepEqual(rules.check(address), { allowed: true }, address);
  });
  it('refuses what is not an address at all', () => {
    assert.equal(rules.check('example.com').allowed, false);
  });
});

describe('address rules with operator allowances', () => {
  it('allows listed ranges, and IPv6 forms embedding an allowed IPv4 address', () => {
    const rules = new AddressRules([parseCidr('127.0.0.1/32'), parseCidr('10.1.0.0/16')]);
    for (const ok of ['127.0.0.1', '::ffff:127.0.0.1', '10.1.255.255']) assert.deepEqual(rules.check(ok), { allowed: true }, ok);
    for (const no of ['127.0.0.2', '10.2.0.1', '::1']) assert.equal(rules.check(no).allowed, false, no);
  });

  it('keeps cloud metadata refused inside a wider allowed range', () => {
    const rules = new AddressRules([parseCidr('169.254.0.0/16'), parseCidr('fd00::/8'), parseCidr('0.0.0.0/0')]);
    assert.equal(rules.check('169.254.1.1').allowed, true);
    for (const meta of ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe']) {
      const verdict = rules.check(meta);
      assert.equal(verdict.allowed, false, meta);
      assert.match(verdict.allowed ? '' : verdict.reason, /cloud metadata.*exact range/);
    }
  });

  it("keeps Alibaba Cloud's metadata refused inside an allowed carrier-grade NAT range (a Tailscale network)", () => {
    const rules = new AddressRules([parseCidr('100.64.0.0/10')]);
    assert.deepEqual(rules.check('100.101.2.3'), { allowed: true }, 'the control: the allowed range works');
    for (const meta of ['100.100.100.200', '::ffff:100.100.100.200']) {
      const verdict = rules.check(meta);
      assert.equal(verdict.allowed, false, meta);
      assert.match(verdict.allowed ? '' : verdict.reason, /cloud metadata.*exact range/);
    }
    assert.equal(new AddressRules([parseCidr('169.254.0.0/16')]).check('169.254.0.23').allowed, false, 'Tencent Cloud');
  });

  it('allows metadata only when its exact range is listed', () => {
    const rules = new AddressRules([parseCidr('169.254.169.254/32'), parseCidr('fd00:ec2::254/128')]);
    assert.deepEqual(rules.check('169.254.169.254'), { allowed: true });
    assert.deepEqual(rules.check('fd00:ec2::254'), { allowed: true });
    assert.equal(rules.check('169.254.169.253').allowed, false);
  });
});
