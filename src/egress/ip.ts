// IP address and CIDR parsing for the egress address rules: textual IPv4/IPv6 (zone ids
// stripped, embedded IPv4 tails accepted) to bytes, CIDR ranges, and containment. Pure code.
import { isIPv4, isIPv6 } from 'node:net';

export interface IpAddress {
  family: 4 | 6;
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  prefix: number;
  /** As written by the operator, for messages. */
  text: string;
}

function parseIPv4Bytes(text: string): Uint8Array | undefined {
  if (!isIPv4(text)) return undefined;
  return Uint8Array.from(text.split('.').map(Number));
}

function parseIPv6Bytes(text: string): Uint8Array | undefined {
  if (!isIPv6(text)) return undefined;
  let s = text;
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIPv4Bytes(last);
    if (v4 === undefined) return undefined;
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const hex = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const gap = s.indexOf('::');
  let groups: number[];
  if (gap >= 0) {
    const left = hex(s.slice(0, gap));
    const right = [...hex(s.slice(gap + 2)), ...tail];
    const fill = 8 - left.length - right.length;
    if (fill < 0) return undefined;
    groups = [...left, ...new Array<number>(fill).fill(0), ...right];
  } else {
    groups = [...hex(s), ...tail];
  }
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** Parses an IPv4 or IPv6 literal (brackets and a `%zone` suffix allowed); undefined if not one. */
export function parseIp(raw: string): IpAddress | undefined {
  let text = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const v4 = parseIPv4Bytes(text);
  if (v4 !== undefined) return { family: 4, bytes: v4 };
  const v6 = parseIPv6Bytes(text);
  return v6 === undefined ? undefined : { family: 6, bytes: v6 };
}

/** Parses `a.b.c.d/n` or `x::y/n` (a bare address means /32 or /128); throws on anything else. */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addr = parseIp(slash < 0 ? trimmed : trimmed.slice(0, slash));
  if (addr === undefined) throw new Error(`${JSON.stringify(text)} is not an IP address or CIDR range`);
  const max = addr.family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : trimmed.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) {
    throw new Error(`${JSON.stringify(text)} has an invalid prefix length (0-${max})`);
  }
  return { ...addr, prefix, text: trimmed };
}

/** True when `addr` lies in `range` (same family only). */
export function inCidr(addr: IpAddress, range: Cidr): boolean {
  if (addr.family !== range.family) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((addr.bytes[i]! & mask) !== (range.bytes[i]! & mask)) return false;
  }
  return true;
}

/** Canonical text of an address (IPv6 in full lower-case hex groups, for messages). */
export function formatIp(addr: IpAddress): string {
  if (addr.family === 4) return Array.from(addr.bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((addr.bytes[i]! << 8) | addr.bytes[i + 1]!).toString(16));
  return groups.join(':');
}
