// `airlock keys create|list|revoke <tenant> [id]`: manage tenant API keys (admin key required);
// a key may be named at creation (what it is for), and listings show the name.
import { Type } from '@sinclair/typebox';
import { parse } from '../args.js';
import type { Client } from '../client.js';
import { printJson, printLines } from '../output.js';
import { onlyOptions, takePositionals, unknownSubcommand } from '../usage.js';

const keysPath = (tenant: string): string => `/v1/tenants/${encodeURIComponent(tenant)}/keys`;

export async function keysCommand(argv: string[], client: Client): Promise<void> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' }, name: { type: 'string' } });
  const [action, ...args] = positionals;
  if (action === 'create') onlyOptions('keys', action, values, ['name']);
  if (action === 'list') onlyOptions('keys', action, values, ['json']);
  if (action === 'revoke') onlyOptions('keys', action, values, []);
  switch (action) {
    case 'create': {
      const [tenant] = takePositionals('keys', args, ['<tenant>']);
      const body = values.name === undefined ? undefined : { name: values.name };
      const key = await client.read('POST', keysPath(tenant), Type.Object({ id: Type.String(), key: Type.String() }), body);
      const named = values.name === undefined ? '' : ` named ${JSON.stringify(values.name)}`;
      process.stdout.write(`created key ${key.id}${named} for tenant ${tenant} (shown once):\n${key.key}\n`);
      return;
    }
    case 'list': {
      const [tenant] = takePositionals('keys', args, ['<tenant>']);
      const KEYS = Type.Object({ keys: Type.Array(Type.Object({ id: Type.String(), createdAt: Type.String(), name: Type.Optional(Type.Union([Type.String(), Type.Null()])) })) });
      const { keys } = await client.read('GET', keysPath(tenant), KEYS);
      if (values.json === true) {
        printJson(keys);
        return;
      }
      printLines(
        keys.map((k) => `${k.id}  ${k.createdAt}${typeof k.name === 'string' ? `  ${k.name}` : ''}`),
        `no keys for tenant ${tenant}; create one with: airlock keys create ${tenant}`,
      );
      return;
    }
    case 'revoke': {
      const [tenant, id] = takePositionals('keys', args, ['<tenant>', '<id>']);
      await client.request('DELETE', `${keysPath(tenant)}/${encodeURIComponent(id)}`);
      process.stdout.write(`revoked ${id}\n`);
      return;
    }
    default:
      throw unknownSubcommand('keys', action);
  }
}
