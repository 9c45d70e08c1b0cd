// `airlock deploy <file> --tenant T [--name N] [--egress @policy.json]`: uploads a function module
// as a new version.
import { basename, extname } from 'node:path';
import { parse, readArgFile, readJsonArg } from '../args.js';
import type { Client } from '../client.js';
import { takePositionals, usageError } from '../usage.js';

/** Function name from a file name: hello-world.ts -> hello-world. */
export function nameFromFile(file: string): string {
  return basename(file, extname(file)).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '').slice(0, 63);
}

/** `--egress @file.json` reads the policy from a file; anything else is inline JSON. */
export function parseEgress(arg: string): unknown {
  return readJsonArg('--egress', arg, 'the --egress policy file');
}

export async function deployCommand(argv: string[], client: Client): Promise<void> {
  const { values, positionals } = parse(argv, {
    tenant: { type: 'string', short: 't' },
    name: { type: 'string', short: 'n' },
    'timeout-ms': { type: 'string' },
    'memory-mib': { type: 'string' },
    isolation: { type: 'string' },
    egress: { type: 'string' },
  });
  const [file] = takePositionals('deploy', positionals, ['<file>']);
  if (!values.tenant) throw usageError('deploy', '--tenant is required: the tenant to deploy to');
  const code = readArgFile(file, 'the function source');
  const name = values.name ?? nameFromFile(file);
  const ext = extname(file);
  const body: Record<string, unknown> = { code, runtime: ext === '.ts' || ext === '.mts' ? 'typescript' : 'javascript' };
  const limits: Record<string, number> = {};
  if (values['timeout-ms'] !== undefined) limits.timeoutMs = Number(values['timeout-ms']);
  if (values['memory-mib'] !== undefined) limits.memoryMiB = Number(values['memory-mib']);
  if (Object.keys(limits).length > 0) body.limits = limits;
  if (values.isolation !== undefined) body.isolation = values.isolation;
  if (values.egress !== undefined) body.egress = parseEgress(values.egress);
  const fn = await client.request<{ version: string; created: boolean }>(
    'PUT',
    `/v1/tenants/${encodeURIComponent(values.tenant)}/functions/${encodeURIComponent(name)}`,
    body,
  );
  process.stdout.write(`${fn.created ? 'deployed' : 'unchanged'} ${values.tenant}/${name} version ${fn.version}\n`);
}
