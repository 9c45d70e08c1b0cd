// AIRLOCK_PUBLIC_URL: the address the world reaches this server at (through its TLS proxy), e.g.
// https://airlock.example.com. Webhook views then carry the full URL to give a third party,
// instead of a path each client joins to its own (often internal) AIRLOCK_URL.
import { AirlockError } from '../errors.js';
import type { Env } from './env.js';

/** The base URL without a trailing slash, or undefined when unset. */
export function publicUrlFrom(env: Env): string | undefined {
  const raw = env.AIRLOCK_PUBLIC_URL?.trim();
  if (raw === undefined || raw === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_PUBLIC_URL=${JSON.stringify(raw)} is not a base URL; give the https:// address third parties reach this server at, ` +
        'without a query, e.g. AIRLOCK_PUBLIC_URL=https://airlock.example.com',
    );
  }
  return url.href.replace(/\/+$/, '');
}
