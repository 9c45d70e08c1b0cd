// Secret placeholders in egress requests. `{{secrets.NAME}}` (spaces inside the braces allowed:
// `{{ secrets.NAME }}`) in a URL or in a header value is replaced by the secret's value on the
// host, only for hosts the secret is bound to; the sandbox never sees the value. In a URL each
// brace and space may be percent-encoded, as URL parsing writes them in paths (and spaces in
// queries). SecretMask remembers what was substituted so results, logs, errors and
// echoed responses can be masked as `[secret:NAME]`.
import type { SecretSource, SecretValue } from './types.js';
import { denied, hostMatches } from './policy.js';
import { shellWord } from '../core/shell-word.js';

const NAME = '[A-Za-z_][A-Za-z0-9_-]{0,127}';
const OPEN = '(?:\\{|%7[Bb])';
const CLOSE = '(?:\\}|%7[Dd])';
const SPACE = '(?:[ \\t]|%20)*';
/** One placeholder, each brace and space plain or percent-encoded. */
const PLACEHOLDER = new RegExp(`${OPEN}${OPEN}${SPACE}secrets\\.(${NAME})${SPACE}${CLOSE}${CLOSE}`, 'g');

/** Names of the secrets a text refers to (plain or percent-encoded placeholders). */
export function placeholderNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(PLACEHOLDER)) names.add(m[1]!);
  return [...names];
}

/** What is left of a mistyped placeholder once the valid ones are taken out: `{{secret.x}}`, `{{ secrets.bad name }}`. */
const MISTYPED = new RegExp(`${OPEN}${OPEN}${SPACE}secret`, 'i');

/**
 * A mistyped placeholder in `text` (which would go to the third party as written), or undefined:
 * anything that opens like one (`{{`, spaces, `secret` in any case) but is not a valid one.
 */
export function mistypedPlaceholder(text: string): string | undefined {
  const rest = text.replace(PLACEHOLDER, '');
  const match = MISTYPED.exec(rest);
  return match === null ? undefined : rest.slice(match.index, match.index + 60);
}

/** Replaces placeholders with values; `encode` percent-encodes values (for URLs). */
export function substitute(text: string, values: ReadonlyMap<string, string>, encode: boolean): string {
  const value = (_m: string, name: string): string => {
    const v = values.get(name);
    if (v === undefined) return _m;
    return encode ? encodeURIComponent(v) : v;
  };
  return text.replace(PLACEHOLDER, value);
}

/**
 * Fetches the named secrets for the tenant and checks each is bound to `host`; throws
 * EGRESS_DENIED (before any connection) for an unknown secret or a host it is not bound to.
 */
export async function secretsFor(
  source: SecretSource,
  tenant: string,
  names: readonly string[],
  host: string,
): Promise<Map<string, SecretValue>> {
  const out = new Map<string, SecretValue>();
  for (const name of names) {
    const secret = await source.get(tenant, name);
    if (secret === undefined) {
      throw denied(
        `the request refers to {{secrets.${name}}} but tenant ${tenant} has no secret named ${name}; create it, bound to ` +
          `this host, with \`printf %s "$VALUE" | airlock secrets set ${tenant} ${name} --hosts ${shellWord(host)}\` ` +
          `(PUT /v1/tenants/${tenant}/secrets/${name}; see docs/secrets.md), or fix the name in the placeholder`,
      );
    }
    if (!secret.hosts.some((pattern) => hostMatches(pattern, host))) {
      throw denied(
        `secret ${name} is not bound to host ${host} (bound to: ${secret.hosts.join(', ') || 'no host: it is a webhook signing key'}); ` +
          (secret.hosts.length === 0
            ? 'store the value to send to this host as a secret of its own, bound to it (airlock secrets set … --hosts)'
            : `bind the secret to this host too to send it there: set it again with its value and ` +
              `\`--hosts ${shellWord([...secret.hosts, host].join(','))}\` (airlock secrets set ${tenant} ${name})`),
      );
    }
    out.set(name, secret);
  }
  return out;
}

/** Remembers substituted values and masks them in text and bytes. */
export class SecretMask {
  /** value → name; longer values are masked first. */
  private readonly values = new Map<string, string>();
  private ordered: [string, string][] = [];

  add(name: string, value: string): void {
    if (value === '') return;
    for (const form of new Set([value, encodeURIComponent(value)])) this.values.set(form, name);
    this.ordered = [...this.values].sort((a, b) => b[0].length - a[0].length);
  }

  get used(): boolean {
    return this.values.size > 0;
  }

  /** Names of remembered secrets whose value occurs in `text`. */
  occurrences(text: string): string[] {
    return this.ordered.filter(([value]) => text.includes(value)).map(([, name]) => name);
  }

  mask(text: string): string {
    let out = text;
    for (const [value, name] of this.ordered) {
      if (out.includes(value)) out = out.split(value).join(`[secret:${name}]`);
    }
    return out;
  }

  /** Masks bytes only when they contain a value (most bodies are returned untouched). */
  maskBytes(body: Buffer): Buffer {
    const hits = this.ordered.filter(([value]) => body.includes(value));
    if (hits.length === 0) return body;
    let text = body.toString('latin1');
    for (const [value, name] of hits) {
      text = text.split(Buffer.from(value, 'utf8').toString('latin1')).join(`[secret:${name}]`);
    }
    return Buffer.from(text, 'latin1');
  }
}
