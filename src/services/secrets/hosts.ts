// Host bindings of a secret: exact host names (`api.example.com`) or one-label wildcards
// (`*.example.com`, matching `a.example.com` but not `example.com` or `a.b.example.com`), the
// same syntax as EgressRule.host. Names are lower-cased; duplicates are dropped. No hosts at all
// makes a webhook signing key: sent nowhere, usable only to verify deliveries (docs/webhooks.md).
import { AirlockError } from '../../core/errors.js';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export const HOST_RULE =
  'a host name like "api.example.com" or a one-label wildcard like "*.example.com" (the wildcard needs at least two labels after it)';

function validHost(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const wildcard = host.startsWith('*.');
  const labels = (wildcard ? host.slice(2) : host).split('.');
  if (wildcard && labels.length < 2) return false;
  return labels.every((l) => LABEL.test(l));
}

/** Returns the normalized list, or throws VALIDATION_FAILED naming the bad entry and the rule. */
export function validateHosts(hosts: readonly unknown[], max: number): string[] {
  if (hosts.length > max) {
    throw new AirlockError(
      'VALIDATION_FAILED',
      `hosts has ${hosts.length} entries, more than the ${max} allowed; use a wildcard or ask the operator to raise AIRLOCK_SECRET_MAX_HOSTS`,
      { field: 'hosts' },
    );
  }
  const out: string[] = [];
  for (const raw of hosts) {
    const host = typeof raw === 'string' ? raw.toLowerCase() : '';
    if (!validHost(host)) {
      const shown = typeof raw === 'string' ? JSON.stringify(raw.slice(0, 80)) : typeof raw;
      throw new AirlockError('VALIDATION_FAILED', `host ${shown} is invalid: use ${HOST_RULE}`, { field: 'hosts' });
    }
    if (!out.includes(host)) out.push(host);
  }
  return out;
}
