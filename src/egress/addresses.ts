// Address rules of the egress broker: which resolved IP addresses a request may connect to.
// Every special-purpose range (loopback, private, link-local, CGNAT, multicast, documentation,
// benchmarking, reserved, ULA, ...) is refused; IPv6 forms that embed an IPv4 address
// (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4) are judged by that address; only
// global unicast IPv6 (2000::/3) is considered at all. The operator may allow CIDR ranges
// (AIRLOCK_EGRESS_ALLOW_CIDRS); cloud metadata addresses stay refused unless their exact range
// is listed.
import { inCidr, parseCidr, parseIp } from './ip.js';
import type { Cidr, IpAddress } from './ip.js';

interface Range {
  cidr: Cidr;
  name: string;
}

const range = (text: string, name: string): Range => ({ cidr: parseCidr(text), name });

/** Cloud metadata endpoints: refused even inside an allowed range unless listed exactly. */
export const METADATA_RANGES: readonly Range[] = [
  // AWS, GCP, Azure, OCI, DigitalOcean, Hetzner, OpenStack; AWS over IPv6.
  range('169.254.169.254/32', 'cloud metadata'),
  range('fd00:ec2::254/128', 'cloud metadata'),
  // Alibaba Cloud: inside carrier-grade NAT 100.64.0.0/10, which operators on a Tailscale-style
  // network allow (AIRLOCK_EGRESS_ALLOW_CIDRS) and which would otherwise reach it.
  range('100.100.100.200/32', 'cloud metadata'),
  // Tencent Cloud (metadata.tencentyun.com).
  range('169.254.0.23/32', 'cloud metadata'),
];

// Order matters: the first match names the range (more specific ranges first).
const IPV4_SPECIAL: readonly Range[] = [
  range('255.255.255.255/32', 'broadcast'),
  range('0.0.0.0/8', 'unspecified ("this network")'),
  range('10.0.0.0/8', 'private (RFC 1918)'),
  range('100.64.0.0/10', 'carrier-grade NAT (RFC 6598)'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'),
  range('172.16.0.0/12', 'private (RFC 1918)'),
  range('192.0.0.0/24', 'IETF protocol assignments (reserved)'),
  range('192.0.2.0/24', 'documentation (TEST-NET-1)'),
  range('192.31.196.0/24', 'AS112 (reserved)'),
  range('192.52.193.0/24', 'AMT (reserved)'),
  range('192.88.99.0/24', '6to4 relay anycast (reserved)'),
  range('192.168.0.0/16', 'private (RFC 1918)'),
  range('192.175.48.0/24', 'AS112 direct delegation (reserved)'),
  range('198.18.0.0/15', 'benchmarking (RFC 2544)'),
  range('198.51.100.0/24', 'documentation (TEST-NET-2)'),
  range('203.0.113.0/24', 'documentation (TEST-NET-3)'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved'),
];

const IPV6_SPECIAL: readonly Range[] = [
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('64:ff9b:1::/48', 'local-use NAT64 (RFC 8215)'),
  range('100::/64', 'discard-only (RFC 6666)'),
  range('2001::/23', 'IETF protocol assignments (Teredo, benchmarking, ...)'),
  range('2001:db8::/32', 'documentation'),
  range('3fff::/20', 'documentation'),
  range('fc00::/7', 'unique local (ULA)'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'site-local (deprecated)'),
  range('ff00::/8', 'multicast'),
];

const GLOBAL_UNICAST_V6 = parseCidr('2000::/3');
const MAPPED = parseCidr('::ffff:0:0/96');
const COMPATIBLE = parseCidr('::/96');
const NAT64 = parseCidr('64:ff9b::/96');
const SIX_TO_FOUR = parseCidr('2002::/16');

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any. */
export function embeddedIPv4(addr: IpAddress): { v4: IpAddress; form: string } | undefined {
  if (addr.family !== 6) return undefined;
  const b = addr.bytes;
  if (inCidr(addr, MAPPED)) return { v4: { family: 4, bytes: b.slice(12, 16) }, form: 'IPv4-mapped' };
  if (inCidr(addr, NAT64)) return { v4: { family: 4, bytes: b.slice(12, 16) }, form: 'NAT64' };
  if (inCidr(addr, SIX_TO_FOUR)) return { v4: { family: 4, bytes: b.slice(2, 6) }, form: '6to4' };
  // ::/96 minus :: and ::1 (handled as unspecified and loopback)
  if (inCidr(addr, COMPATIBLE) && !(b.slice(0, 15).every((x) => x === 0) && b[15]! <= 1)) {
    return { v4: { family: 4, bytes: b.slice(12, 16) }, form: 'IPv4-compatible' };
  }
  return undefined;
}

/** Names the special range an address falls in, or undefined for an ordinary public address. */
export function specialRange(addr: IpAddress): string | undefined {
  const embedded = embeddedIPv4(addr);
  if (embedded !== undefined) {
    const inner = specialRange(embedded.v4);
    return inner === undefined ? undefined : `${inner} (as ${embedded.form} IPv6)`;
  }
  for (const r of METADATA_RANGES) if (inCidr(addr, r.cidr)) return r.name;
  for (const r of addr.family === 4 ? IPV4_SPECIAL : IPV6_SPECIAL) if (inCidr(addr, r.cidr)) return r.name;
  if (addr.family === 6 && !inCidr(addr, GLOBAL_UNICAST_V6)) return 'reserved (outside global unicast 2000::/3)';
  return undefined;
}

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** The operator's address policy: special ranges refused, allowed CIDRs let through. */
export class AddressRules {
  private readonly allow: readonly Cidr[];

  constructor(allowCidrs: readonly Cidr[] = []) {
    this.allow = allowCidrs;
  }

  check(text: string): AddressVerdict {
    const parsed = parseIp(text);
    if (parsed === undefined) return { allowed: false, reason: `${JSON.stringify(text)} is not an IP address` };
    // Judge embedded IPv4 forms as the IPv4 address they reach.
    const addr = embeddedIPv4(parsed)?.v4 ?? parsed;
    const metadata = METADATA_RANGES.find((r) => inCidr(addr, r.cidr));
    if (metadata !== undefined) {
      const exact = this.allow.some((c) => c.family === addr.family && c.prefix === metadata.cidr.prefix && inCidr(addr, c));
      return exact ? { allowed: true } : refused(text, 'cloud metadata', true);
    }
    if (this.allow.some((c) => inCidr(addr, c) || inCidr(parsed, c))) return { allowed: true };
    const special = specialRange(parsed);
    return special === undefined ? { allowed: true } : refused(text, special, false);
  }
}

function refused(text: string, name: string, metadata: boolean): AddressVerdict {
  const hint = metadata
    ? 'it stays refused unless the operator lists its exact range in AIRLOCK_EGRESS_ALLOW_CIDRS'
    : 'the operator can allow a range with AIRLOCK_EGRESS_ALLOW_CIDRS';
  return { allowed: false, reason: `address ${text} is ${name}; ${hint}` };
}

