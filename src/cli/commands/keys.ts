// `airlock keys create|list|revoke <tenant> [id]`: manage tenant API keys (admin key required);
// a key may be named at creation (what it is for), and listings show the name and the key's
// prefix. `airlock keys find` reads a whole key (a leaked one) from stdin and says which it is.
import { Type } from '@sinclair/typebox';
import { parse } from '../args.js';
import type { Client } from '../client.js';
import { readKeyFromStdin } from '../key-input.js';
import { printJson, printLines } from '../output.js';
import { onlyOptions, takePositionals, unknownSubcommand, usageError } from '../usage.js';

const LOOKUP = Type.Object({
  kind: Type.String(),
  previous: Type.Optional(Type.Boolean()),
  id: Type.Union([Type.String(), Type.Null()]),
  tenant: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
  prefix: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Union([Type.String(), Type.Null()]),
});

const keysPath = (tenant: string): string => `/v1/tenants/${encodeURIComponent(tenant)}/keys`;

export async function keysCommand(argv: string[], client: Client, stdin: NodeJS.ReadableStream = process.stdin): Promise<void> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' }, name: { type: 'string' } });
  const [action, ...args] = positionals;
  if (action === 'create') onlyOptions('keys', action, values, ['name']);
  if (action === 'list') onlyOptions('keys', action, values, ['json']);
  if (action === 'revoke') onlyOptions('keys', action, values, []);
  if (action === 'find') onlyOptions('keys', action, values, ['json']);
  switch (action) {
    case 'create': {
      const [tenant] = takePositionals('keys', args, ['<tenant>']);
      const body = values.name === undefined ? undefined : { name: values.name };
      const key = await client.read('POST', keysPath(tenant), Type.Object({ id: Type.String(), key: Type.String() }), body);
      const named = values.name === undefined ? '' : ` named ${JSON.stringify(values.name)}`;
      // The key alone on stdout (`airlock keys create acme > key.txt` holds just the key); what it is on stderr.
      process.stderr.write(`created key ${key.id}${named} for tenant ${tenant} (shown once):\n`);
      process.stdout.write(`${key.key}\n`);
      return;
    }
    case 'list': {
      const [tenant] = takePositionals('keys', args, ['<tenant>']);
      const nullable = Type.Optional(Type.Union([Type.String(), Type.Null()]));
      const KEYS = Type.Object({ keys: Type.Array(Type.Object({ id: Type.String(), createdAt: Type.String(), name: nullable, prefix: nullable })) });
      const { keys } = await client.read('GET', keysPath(tenant), KEYS);
      if (values.json === true) {
        printJson(keys);
        return;
      }
      printLines(
        // Keys made before prefixes were kept show "-".
        keys.map((k) => `${k.id}  ${k.prefix ?? '-'}  ${k.createdAt}${typeof k.name === 'string' ? `  ${k.name}` : ''}`),
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
    case 'find': {
      if (args.length > 0) {
        throw usageError(
          'keys',
          'keys find reads the key from stdin, never from an argument (shell history and ps would keep it): ' +
            'airlock keys find < file-holding-the-key, or run airlock keys find and paste the key',
        );
      }
      const key = await readKeyFromStdin(stdin, (text) => process.stderr.write(text));
      const found = await client.read('POST', '/v1/keys/lookup', LOOKUP, { key });
      if (values.json === true) {
        printJson(found);
        return;
      }
      if (found.kind === 'admin' && found.previous === true) {
        process.stdout.write(
          'this is a former admin key, still accepted through AIRLOCK_ADMIN_KEY_PREVIOUS: remove it from AIRLOCK_ADMIN_KEY_PREVIOUS ' +
            'and restart the server; the current admin key is not affected (docs/cli.md, "A leaked key")\n',
        );
        return;
      }
      if (found.kind === 'admin') {
        process.stdout.write(
          "this is the server's admin key, which reaches every tenant: set a new AIRLOCK_ADMIN_KEY (or replace <data dir>/admin.key) " +
            'and restart the server, then give the new key to whoever needs it (docs/cli.md, "A leaked key")\n',
        );
        return;
      }
      const rows = [
        `key ${found.id} of tenant ${found.tenant}`,
        `  name     ${found.name ?? '-'}`,
        `  prefix   ${found.prefix ?? '- (made before prefixes were kept)'}`,
        `  created  ${found.createdAt}`,
        `revoke it with: airlock keys revoke ${found.tenant} ${found.id}`,
      ];
      process.stdout.write(rows.join('\n') + '\n');
      return;
    }
    default:
      throw unknownSubcommand('keys', action);
  }
}
