// Policy matching: which URLs a function may request. A URL must be http: or https:, carry no
// user name or password, and match one rule of the function's EgressPolicy: the host exactly or
// through a one-label wildcard (`*.example.com` matches `a.example.com`, not `example.com` nor
// `a.b.example.com`), a port (default 443 for https, 80 for http), a method, a path prefix
// (whole segments: `/v1` matches `/v1` and `/v1/x`, not `/v1x`).
import { AirlockError } from '../core/errors.js';
import type { EgressPolicy, EgressRule } from '../core/types.js';
import { parseIp } from './ip.js';

/** Methods never brokered (tunnels and request reflection). */
export const REFUSED_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);
/** An HTTP method as the broker accepts it (upper case). */
export const METHOD_PATTERN = /^[A-Z]{1,16}$/;

export interface Target {
  url: URL;
  protocol: 'http:' | 'https:';
  /** Lower-case host name without a trailing dot; IPv6 literals without brackets. */
  host: string;
  /** True when the host is an IP literal (no DNS lookup). */
  literal: boolean;
  port: number;
  /** Path without the query string. */
  path: string;
}

export function denied(message: string): AirlockError {
  return new AirlockError('EGRESS_DENIED', message);
}

/** Parses and checks the shape of a request URL; throws EGRESS_DENIED. */
export function parseTarget(raw: string): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw denied(`${JSON.stringify(raw.slice(0, 200))} is not an absolute URL; ctx.fetch needs http:// or https:// URLs`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw denied(`only http: and https: URLs may be fetched, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw denied('URLs with a user name or password are refused; send credentials in a header (e.g. with a secret placeholder)');
  }
  let host = url.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '') throw denied('the URL has no host');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return { url, protocol: url.protocol, host, literal: parseIp(host) !== undefined, port, path: url.pathname };
}

/** `pattern` is an exact host or `*.suffix` (exactly one extra label); IP literals match exactly. */
export function hostMatches(pattern: string, host: string): boolean {
  const p = normalizeHostPattern(pattern);
  if (!p.startsWith('*.')) return p === host;
  if (parseIp(host) !== undefined) return false;
  const suffix = p.slice(1); // ".example.com"
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, -suffix.length);
  return label.length > 0 && !label.includes('.');
}

export function normalizeHostPattern(pattern: string): string {
  let p = pattern.trim().toLowerCase();
  if (p.startsWith('[') && p.endsWith(']')) p = p.slice(1, -1);
  if (p.endsWith('.')) p = p.slice(0, -1);
  return p;
}

function pathMatches(prefix: string, path: string): boolean {
  if (prefix === '/' || path === prefix) return true;
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return path.startsWith(base);
}

function ruleMatches(rule: EgressRule, target: Target, method: string): boolean {
  if (!hostMatches(rule.host, target.host)) return false;
  const ports = rule.ports ?? [target.protocol === 'https:' ? 443 : 80];
  if (!ports.includes(target.port)) return false;
  if (rule.methods !== undefined && !rule.methods.includes(method)) return false;
  if (rule.pathPrefixes !== undefined && !rule.pathPrefixes.some((p) => pathMatches(p, target.path))) return false;
  return true;
}

/** Throws EGRESS_DENIED unless some rule of the policy allows this method on this target. */
export function checkPolicy(policy: EgressPolicy, target: Target, method: string): void {
  if (policy.allow.some((rule) => ruleMatches(rule, target, method))) return;
  const hostKnown = policy.allow.some((rule) => hostMatches(rule.host, target.host));
  throw denied(
    hostKnown
      ? `${method} ${target.protocol}//${target.host}:${target.port}${target.path} is outside the function's egress rules for this host ` +
          '(port, method or path prefix); widen the rule in the egress policy and redeploy'
      : `host ${target.host} is not in the function's egress allowlist; add it to egress.allow and redeploy`,
  );
}
