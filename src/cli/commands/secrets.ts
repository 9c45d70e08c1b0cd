// `airlock secrets set|list|delete`: manage a tenant's secrets. The value is read from stdin or
// --value-file, never from argv (other users can read a process's argv in /proc). --signing-key
// stores a webhook signing key: bound to no host, usable only by `airlock hooks verify`.
import { parse, readArgFile, UsageError } from '../args.js';
import type { Client } from '../client.js';
import { Type } from '@sinclair/typebox';
import { printJson, printTable } from '../output.js';
import { onlyOptions, takePositionals, unknownSubcommand, usageError } from '../usage.js';

/** Generous bound on what is read from stdin; the server enforces the real limit. */
const MAX_INPUT_BYTES = 1024 * 1024;

/** What the CLI reads of a secret (never a value: the server sends none). */
const SECRET = Type.Object({ name: Type.String(), hosts: Type.Array(Type.String()), updatedAt: Type.String() });

async function readStdin(stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<string> {
  if (stdin.isTTY) {
    throw usageError('secrets', 'refusing to read a secret typed on the terminal (it would be echoed); pipe it in or use --value-file');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += buf.length;
    if (size > MAX_INPUT_BYTES) throw new UsageError(`the value on stdin is larger than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One trailing newline (as `echo` or an editor adds) is not part of the value. */
function stripFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

const secretsPath = (tenant: string): string => `/v1/tenants/${encodeURIComponent(tenant)}/secrets`;
const secretPath = (tenant: string, name: string): string => `${secretsPath(tenant)}/${encodeURIComponent(name)}`;

export async function secretsCommand(argv: string[], client: Client, stdin: NodeJS.ReadableStream = process.stdin): Promise<void> {
  const { values, positionals } = parse(argv, {
    hosts: { type: 'string' },
    'signing-key': { type: 'boolean' },
    'value-file': { type: 'string' },
    // Taken only to say why a value is never an argument.
    value: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.value !== undefined) {
    throw usageError(
      'secrets',
      'a secret\'s value is never a command-line argument (other users of the machine can read those): pipe it in, ' +
        'e.g. printf %s "$VALUE" | airlock secrets set <tenant> <name> --hosts <host>, or use --value-file FILE',
    );
  }
  const [action, ...args] = positionals;
  switch (action) {
    case 'list': {
      onlyOptions('secrets', action, values, ['json']);
      const [tenant] = takePositionals('secrets', args, ['<tenant>']);
      const { secrets } = await client.read('GET', secretsPath(tenant), Type.Object({ secrets: Type.Array(SECRET) }));
      if (values.json === true) {
        printJson(secrets);
        return;
      }
      printTable(
        ['NAME', 'HOSTS', 'UPDATED'],
        secrets.map((s) => [s.name, s.hosts.length === 0 ? '(signing key)' : s.hosts.join(','), s.updatedAt]),
        `no secrets for tenant ${tenant}; set one with: printf %s "$VALUE" | airlock secrets set ${tenant} <name> --hosts <host>`,
      );
      return;
    }
    case 'delete': {
      onlyOptions('secrets', action, values, []);
      const [tenant, name] = takePositionals('secrets', args, ['<tenant>', '<name>']);
      await client.request('DELETE', secretPath(tenant, name));
      process.stdout.write(`deleted secret ${tenant}/${name}\n`);
      return;
    }
    case 'set': {
      onlyOptions('secrets', action, values, ['hosts', 'signing-key', 'value-file']);
      const [tenant, name] = takePositionals('secrets', args, ['<tenant>', '<name>']);
      if (values['signing-key'] === true && values.hosts !== undefined) {
        throw usageError('secrets', '--signing-key and --hosts exclude each other: a webhook signing key is sent to no host');
      }
      if (!values.hosts && values['signing-key'] !== true) {
        throw usageError('secrets', '--hosts is required: the hosts the value may be sent to (or --signing-key for a webhook signing key, sent nowhere)');
      }
      const hosts = (values.hosts ?? '').split(',').map((h) => h.trim()).filter((h) => h !== '');
      if (hosts.length === 0 && values['signing-key'] !== true) throw usageError('secrets', `--hosts ${JSON.stringify(values.hosts)} names no host: give them comma-separated, e.g. --hosts api.stripe.com,*.stripe.com`);
      const raw = values['value-file'] !== undefined ? readArgFile(values['value-file'], 'the --value-file') : await readStdin(stdin);
      const value = stripFinalNewline(raw);
      if (value === '') throw usageError('secrets', 'the value is empty');
      const meta = await client.read('PUT', secretPath(tenant, name), SECRET, { value, hosts });
      const use = meta.hosts.length === 0 ? 'as a webhook signing key (sent to no host)' : `for ${meta.hosts.join(',')}`;
      process.stdout.write(`saved secret ${tenant}/${meta.name} ${use}\n`);
      return;
    }
    default:
      throw unknownSubcommand('secrets', action);
  }
}
