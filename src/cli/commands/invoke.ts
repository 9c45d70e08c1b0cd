// `airlock invoke <tenant>/<name> [--input JSON|@file] [--version V] [--timeout-ms MS]`: runs a
// function, prints the execution as JSON; exits 1 when the status is not "succeeded".
import { MIN_LIMITS } from '../../core/limits.js';
import { integerFlag, parse, readJsonArg } from '../args.js';
import { Type } from '@sinclair/typebox';
import type { Client } from '../client.js';
import { takePositionals, usageError } from '../usage.js';
import type { CommandName } from '../usage.js';

export function readInput(raw: string | undefined): unknown {
  if (raw === undefined) return null;
  return readJsonArg('--input', raw, 'the --input file');
}

/** `acme/hello` -> tenant and function name; anything else is a usage error of `command`. */
export function splitTarget(target: string, command: CommandName): { tenant: string; name: string } {
  const match = /^([^/]+)\/([^/]+)$/.exec(target);
  if (!match) throw usageError(command, 'expected <tenant>/<function>, e.g. acme/hello');
  return { tenant: match[1]!, name: match[2]! };
}

export async function invokeCommand(argv: string[], client: Client): Promise<number> {
  const { values, positionals } = parse(argv, {
    input: { type: 'string', short: 'i' },
    version: { type: 'string' },
    'timeout-ms': { type: 'string' },
  });
  const timeoutMs = integerFlag('--timeout-ms', values['timeout-ms'], MIN_LIMITS.timeoutMs);
  const [target] = takePositionals('invoke', positionals, ['<tenant>/<function>']);
  const { tenant, name } = splitTarget(target, 'invoke');
  const body: Record<string, unknown> = { input: readInput(values.input) };
  if (values.version !== undefined) body.version = values.version;
  if (timeoutMs !== undefined) body.timeoutMs = timeoutMs;
  const res = await client.read(
    'POST',
    `/v1/tenants/${encodeURIComponent(tenant)}/functions/${encodeURIComponent(name)}/invoke`,
    Type.Object({ status: Type.String() }),
    body,
  );
  process.stdout.write(JSON.stringify(res, null, 2) + '\n');
  return res.status === 'succeeded' ? 0 : 1;
}
