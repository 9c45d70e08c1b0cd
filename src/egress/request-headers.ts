// The headers the broker sends for each hop: the ones it owns dropped, secret placeholders filled
// in only for hosts their secret is bound to (the header is dropped elsewhere), and, as the
// standard fetch does on a redirect, the body's headers dropped when the method turns into GET
// and credentials dropped for good once the chain leaves the original origin.
import { denied, hostMatches } from './policy.js';
import { placeholderNames, substitute } from './secrets.js';
import type { SecretValue } from './types.js';

/** Request headers the broker owns (framing, routing) and never takes from the sandbox. */
const DROPPED_HEADERS = new Set([
  'host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect',
  'proxy-authorization', 'proxy-connection', 'accept-encoding',
]);
/** Dropped when a redirect leaves the original origin, for the rest of the chain (as fetch does). */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie']);
/** The fetch standard's request-body-header names, dropped with the body when a redirect turns the method into GET. */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']);

/** The header templates without credentials: after a cross-origin redirect. */
export function withoutCredentials(templates: readonly [string, string][]): [string, string][] {
  return templates.filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()));
}

/** The header templates without the body's headers: after a redirect that turned the method into GET. */
export function withoutBodyHeaders(templates: readonly [string, string][]): [string, string][] {
  return templates.filter(([name]) => !BODY_HEADERS.has(name.toLowerCase()));
}

/** Headers to send to `host`: the broker's own removed, placeholders filled in where bound, else dropped. */
export function buildHeaders(templates: readonly [string, string][], secrets: ReadonlyMap<string, SecretValue>, host: string): [string, string][] {
  const out: [string, string][] = [];
  for (const [rawName, value] of templates) {
    const name = rawName.toLowerCase();
    if (DROPPED_HEADERS.has(name)) continue;
    const names = placeholderNames(value);
    if (names.length === 0) {
      out.push([name, value]);
      continue;
    }
    const bound = names.every((n) => secrets.get(n)?.hosts.some((h) => hostMatches(h, host)) === true);
    if (!bound) continue; // a redirect to a host the secret is not bound to: the header is dropped
    const broken = names.find((n) => /[\r\n\0]/.test(secrets.get(n)!.value));
    if (broken !== undefined) {
      throw denied(
        `the secret ${broken} holds a line break (often a file's final newline) and cannot be sent in the ${name} header; ` +
          `set it again without it (e.g. printf %s "$VALUE" | airlock secrets set <tenant> ${broken} --hosts …)`,
      );
    }
    // The template itself has none: inbound-fetch.ts refuses a header value with a line break.
    const filled = substitute(value, new Map(names.map((n) => [n, secrets.get(n)!.value])), false);
    out.push([name, filled]);
  }
  out.push(['accept-encoding', 'identity']);
  return out;
}
