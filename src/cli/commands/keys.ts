// `airlock keys create|list|revoke <tenant> [id]`: manage tenant API keys (admin key required).
import { parse } from '../args.js';
import type { Client } from '../client.js';
import { unknownSubcommand, usageError } from '../usage.js';

export async function keysCommand(argv: string[], client: Client): Promise<void> {
  const { positionals } = parse(argv, {});
  const [action, tenant, id] = positionals;
  if (!['create', 'list', 'revoke'].includes(action ?? '')) throw unknownSubcommand('keys', action);
  if (!tenant) throw usageError('keys', 'missing <tenant>');
  const base = `/v1/tenants/${encodeURIComponent(tenant)}/keys`;
  if (action === 'create') {
    const key = await client.request<{ id: string; key: string }>('POST', base);
    process.stdout.write(`created key ${key.id} for tenant ${tenant} (shown once):\n${key.key}\n`);
  } else if (action === 'list') {
    const { keys } = await client.request<{ keys: { id: string; createdAt: string }[] }>('GET', base);
    for (const k of keys) process.stdout.write(`${k.id}  ${k.createdAt}\n`);
  } else {
    if (!id) throw usageError('keys', 'missing <id>: the key to revoke (see airlock keys list)');
    await client.request('DELETE', `${base}/${encodeURIComponent(id)}`);
    process.stdout.write(`revoked ${id}\n`);
  }
}
