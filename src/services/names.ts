// Tenant and function names checked against the rule in core/names.ts (lowercase letters, digits,
// '-' and '_', starting with a letter or digit, at most 63 characters). Also how to deploy a
// function by name, for messages about one that does not exist.
import { AirlockError } from '../core/errors.js';
import { NAME_PATTERN, NAME_RULE } from '../core/names.js';

export { NAME_PATTERN, NAME_RULE };

/** Returns `value` if it is a valid name, else throws VALIDATION_FAILED stating the rule. */
export function validateName(kind: 'tenant' | 'function', value: unknown): string {
  if (typeof value === 'string' && NAME_PATTERN.test(value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value;
  throw new AirlockError(
    'VALIDATION_FAILED',
    `${kind} name ${shown} is invalid: use ${NAME_RULE} (pattern ${NAME_PATTERN.source})`,
    { field: kind, pattern: NAME_PATTERN.source },
  );
}

/** How to list what was not found, for the CLI user and the HTTP caller alike. */
export function listHint(command: string, route: string): string {
  return `list them with \`${command}\` (GET ${route})`;
}

/** How to deploy tenant/name, for the CLI user and the HTTP caller alike. */
export function deployHint(tenant: string, name: string): string {
  return `deploy it with \`airlock deploy <file> --tenant ${tenant} --name ${name}\` (PUT /v1/tenants/${tenant}/functions/${name})`;
}
