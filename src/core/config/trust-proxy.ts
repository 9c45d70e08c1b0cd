// AIRLOCK_TRUST_PROXY: the addresses of reverse proxies (a TLS terminator, a load balancer) whose
// X-Forwarded-For header names the real client. Audit and refused-request log lines then show
// the client's address instead of the proxy's. Unset: no proxy is trusted and the header is
// ignored, so a client cannot make up its own address.
import { isIP } from 'node:net';
import { AirlockError } from '../errors.js';
import { parseCidr } from '../../egress/ip.js';
import type { Env } from './env.js';

/** The trusted proxies, addresses or CIDR ranges as written (Fastify's trustProxy takes them). */
export function trustProxyFrom(env: Env): string[] {
  const items = (env.AIRLOCK_TRUST_PROXY ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const item of items) {
    const address = item.split('/')[0]!;
    let valid = isIP(address) !== 0;
    try {
      if (valid) parseCidr(item);
    } catch {
      valid = false;
    }
    if (!valid) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `AIRLOCK_TRUST_PROXY: ${JSON.stringify(item)} is not an IP address or CIDR range; list your proxies' addresses, ` +
          'e.g. AIRLOCK_TRUST_PROXY=127.0.0.1,10.0.0.0/8',
      );
    }
  }
  return items;
}
