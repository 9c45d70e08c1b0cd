// Deploy-time check of an `egress` policy: shape, host patterns (exact names, IP literals, or
// `*.` plus at least two labels), ports, methods, path prefixes; returns a normalized copy with
// resolved limits, which is what the version stores and hashes.
import { AirlockError } from '../core/errors.js';
import type { EgressLimits, EgressPolicy, EgressRule } from '../core/types.js';
import { parseIp } from './ip.js';
import { EGRESS_LIMIT_KEYS, resolveEgressLimits } from './limits.js';
import { METHOD_PATTERN, normalizeHostPattern, REFUSED_METHODS } from './policy.js';
import { isRecord } from '../core/json.js';

export const MAX_RULES = 100;
const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function invalid(message: string, field: string): AirlockError {
  return new AirlockError('VALIDATION_FAILED', message, { field });
}

function checkHost(raw: unknown, field: string): string {
  if (typeof raw !== 'string' || raw.length > 253) throw invalid(`${field} must be a host name`, field);
  const host = normalizeHostPattern(raw);
  if (parseIp(host) !== undefined) return host;
  const wildcard = host.startsWith('*.');
  const labels = (wildcard ? host.slice(2) : host).split('.');
  if (!labels.every((l) => HOST_LABEL.test(l)) || (wildcard && labels.length < 2)) {
    throw invalid(
      `${field} ${JSON.stringify(raw)} is not a host name, an IP address, or a one-label wildcard like *.example.com ` +
        '(a wildcard needs at least two labels after "*.")',
      field,
    );
  }
  return host;
}

function checkList<T>(raw: unknown, field: string, item: (v: unknown, f: string) => T): T[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 64) throw invalid(`${field} must be a non-empty array (at most 64)`, field);
  return raw.map((v, i) => item(v, `${field}[${i}]`));
}

function checkRule(raw: unknown, field: string): EgressRule {
  if (!isRecord(raw)) throw invalid(`${field} must be an object with a host`, field);
  for (const key of Object.keys(raw)) {
    if (!['host', 'ports', 'methods', 'pathPrefixes'].includes(key)) throw invalid(`${field}.${key} is not a rule field`, `${field}.${key}`);
  }
  const rule: EgressRule = { host: checkHost(raw.host, `${field}.host`) };
  if (raw.ports !== undefined) {
    rule.ports = checkList(raw.ports, `${field}.ports`, (v, f) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) throw invalid(`${f} must be a port 1-65535`, f);
      return v;
    });
  }
  if (raw.methods !== undefined) {
    rule.methods = checkList(raw.methods, `${field}.methods`, (v, f) => {
      const m = typeof v === 'string' ? v.toUpperCase() : '';
      if (!METHOD_PATTERN.test(m) || REFUSED_METHODS.has(m)) throw invalid(`${f} must be an HTTP method (CONNECT and TRACE are refused)`, f);
      return m;
    });
  }
  if (raw.pathPrefixes !== undefined) {
    rule.pathPrefixes = checkList(raw.pathPrefixes, `${field}.pathPrefixes`, (v, f) => {
      if (typeof v !== 'string' || !v.startsWith('/') || v.length > 1024 || /[?#\s]/.test(v)) {
        throw invalid(`${f} must be a path starting with "/" (no query, fragment or spaces)`, f);
      }
      if (v.split('/').some((segment) => segment === '.' || segment === '..')) {
        // Request paths are matched once normalized, so such a prefix could never match.
        throw invalid(`${f} ${JSON.stringify(v)} has a "." or ".." segment; write the path it means, e.g. "/v1/"`, f);
      }
      return v;
    });
  }
  return rule;
}

/** Checks and normalizes a deploy body's egress policy; limits resolved against the maxima. */
export function checkEgressPolicy(raw: unknown, defaults: EgressLimits, maxima: EgressLimits): EgressPolicy {
  if (!isRecord(raw)) throw invalid('egress must be an object {"allow": [{"host": ...}], "limits"?: {...}}', 'egress');
  for (const key of Object.keys(raw)) {
    if (key !== 'allow' && key !== 'limits') throw invalid(`egress.${key} is not a policy field (allow, limits)`, `egress.${key}`);
  }
  if (!Array.isArray(raw.allow) || raw.allow.length > MAX_RULES) {
    throw invalid(`egress.allow must be an array of at most ${MAX_RULES} rules`, 'egress.allow');
  }
  const allow = raw.allow.map((r, i) => checkRule(r, `egress.allow[${i}]`));
  let requested: Partial<EgressLimits> | undefined;
  if (raw.limits !== undefined) {
    if (!isRecord(raw.limits)) throw invalid('egress.limits must be an object of integers', 'egress.limits');
    requested = {};
    for (const [key, v] of Object.entries(raw.limits)) {
      if (!(EGRESS_LIMIT_KEYS as readonly string[]).includes(key)) {
        throw invalid(`egress.limits.${key} is not a known limit; known: ${EGRESS_LIMIT_KEYS.join(', ')}`, `egress.limits.${key}`);
      }
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(`egress.limits.${key} must be an integer`, `egress.limits.${key}`);
      requested[key as keyof EgressLimits] = v;
    }
  }
  const limits = resolveEgressLimits(requested, defaults, maxima);
  if (allow.length === 0) {
    throw invalid('egress.allow is empty, which grants no request; list the hosts the function may reach, or leave egress out', 'egress.allow');
  }
  return { allow, limits };
}
