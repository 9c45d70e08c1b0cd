// A function version id: sha256 hex of a canonical JSON serialization (object keys sorted at
// every level) of what determines behaviour: runtime, source, resolved limits, isolation, and the
// egress policy when there is one (absent keeps the hashes of functions without egress unchanged).
import { createHash } from 'node:crypto';
import type { EgressPolicy, FunctionLimits, IsolationScope, Runtime } from '../core/types.js';

export interface VersionContent {
  runtime: Runtime;
  source: string;
  limits: FunctionLimits;
  isolation: IsolationScope;
  egress?: EgressPolicy;
}

/** JSON with object keys sorted, so equal values always serialize to equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function versionHash(content: VersionContent): string {
  const { runtime, source, limits, isolation, egress } = content;
  return createHash('sha256').update(canonicalJson({ runtime, source, limits, isolation, egress }), 'utf8').digest('hex');
}
