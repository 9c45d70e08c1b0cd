// `airlock invoke <tenant>/<name> [--input JSON|@file | --inputs JSON|@file] [--version V] [--timeout-ms MS]`:
// runs a function (once per element of --inputs, a JSON array: invoke-batch), prints the answer as
// JSON; exits 1 when a status is not "succeeded".
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
    inputs: { type: 'string' },
    version: { type: 'string' },
    'timeout-ms': { type: 'string' },
  });
  const timeoutMs = integerFlag('--timeout-ms', values['timeout-ms'], MIN_LIMITS.timeoutMs);
  const [target] = takePositionals('invoke', positionals, ['<tenant>/<function>']);
  const { tenant, name } = splitTarget(target, 'invoke');
  if (values.input !== undefined && values.inputs !== undefined) {
    throw usageError('invoke', '--input and --inputs exclude each other: one input, or a JSON array of inputs run as a batch');
  }
  const options: Record<string, unknown> = {};
  if (values.version !== undefined) options.version = values.version;
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  const path = `/v1/tenants/${encodeURIComponent(tenant)}/functions/${encodeURIComponent(name)}`;
  if (values.inputs !== undefined) {
    const inputs = readJsonArg('--inputs', values.inputs, 'the --inputs file');
    if (!Array.isArray(inputs)) throw usageError('invoke', '--inputs takes a JSON array of inputs, e.g. --inputs \'[{"n":1},{"n":2}]\'');
    const res = await client.read('POST', `${path}/invoke-batch`, BATCH_ANSWER, { inputs, ...options });
    process.stdout.write(JSON.stringify(res, null, 2) + '\n');
    return res.results.every((r) => r.status === 'succeeded') ? 0 : 1;
  }
  const res = await client.read('POST', `${path}/invoke`, Type.Object({ status: Type.String() }), { input: readInput(values.input), ...options });
  process.stdout.write(JSON.stringify(res, null, 2) + '\n');
  return res.status === 'succeeded' ? 0 : 1;
}

/** What the CLI checks of a batch's answer: a status per input. */
const BATCH_ANSWER = Type.Object({ results: Type.Array(Type.Object({ status: Type.String() })) });
