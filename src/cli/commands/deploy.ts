// `airlock deploy <file> --tenant T [--name N] [--runtime R] [limits] [--egress @policy.json] [--bundle]`:
// uploads a function module as a new version. Every per-function limit has a flag; --bundle says
// the file is a bundler's output, which the server takes up to its bundle limit.
import { basename, extname } from 'node:path';
import { MIN_LIMITS } from '../../core/limits.js';
import { integerFlag, parse, readArgFile, readJsonArg, STDIN } from '../args.js';
import { Type } from '@sinclair/typebox';
import { Nullable } from '../answer.js';
import { ApiError } from '../client.js';
import type { Client } from '../client.js';
import { takePositionals, usageError } from '../usage.js';

const RUNTIMES = ['javascript', 'typescript'] as const;
type Runtime = (typeof RUNTIMES)[number];

const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/**
 * Function name from a file name: `hello-world.ts` -> `hello-world`. Accents are folded first
 * (Unicode NFKD, then the combining marks dropped), so `Héllo Wörld.ts` -> `hello-world`; any
 * other character outside a-z 0-9 _ - becomes `-`.
 */
export function nameFromFile(file: string): string {
  const folded = basename(file, extname(file)).normalize('NFKD').replace(/\p{M}/gu, '');
  return folded.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '').slice(0, 63);
}

/** `--runtime` when given, else from the extension: .ts, .mts and .cts are TypeScript, anything else JavaScript. */
export function runtimeOf(file: string, given: string | undefined): Runtime {
  if (given === undefined) return TYPESCRIPT_EXTENSIONS.has(extname(file).toLowerCase()) ? 'typescript' : 'javascript';
  if (!(RUNTIMES as readonly string[]).includes(given)) {
    throw usageError('deploy', `--runtime must be ${RUNTIMES.join(' or ')}, got ${JSON.stringify(given)}`);
  }
  return given as Runtime;
}

/** `--egress @file.json` reads the policy from a file; anything else is inline JSON. */
export function parseEgress(arg: string): unknown {
  return readJsonArg('--egress', arg, 'the --egress policy file');
}

export async function deployCommand(argv: string[], client: Client): Promise<void> {
  const { values, positionals } = parse(argv, {
    tenant: { type: 'string', short: 't' },
    name: { type: 'string', short: 'n' },
    runtime: { type: 'string' },
    'timeout-ms': { type: 'string' },
    'memory-mib': { type: 'string' },
    'input-bytes': { type: 'string' },
    'result-bytes': { type: 'string' },
    'log-bytes': { type: 'string' },
    isolation: { type: 'string' },
    egress: { type: 'string' },
    bundle: { type: 'boolean' },
  });
  const [file] = takePositionals('deploy', positionals, ['<file>']);
  if (!values.tenant) throw usageError('deploy', '--tenant is required: the tenant to deploy to');
  if (file === STDIN && values.egress === `@${STDIN}`) {
    throw usageError('deploy', 'standard input can feed only one argument: the source (-) or --egress @-, not both; give the policy inline or in a file');
  }
  if (file === STDIN && values.name === undefined) {
    throw usageError('deploy', 'a source read from standard input (-) needs --name (and --runtime typescript for TypeScript)');
  }
  const body: Record<string, unknown> = { runtime: runtimeOf(file, values.runtime) };
  const limits = {
    // The server's minimums, checked here so that the message names the flag.
    timeoutMs: integerFlag('--timeout-ms', values['timeout-ms'], MIN_LIMITS.timeoutMs),
    memoryMiB: integerFlag('--memory-mib', values['memory-mib'], MIN_LIMITS.memoryMiB),
    inputBytes: integerFlag('--input-bytes', values['input-bytes'], MIN_LIMITS.inputBytes),
    resultBytes: integerFlag('--result-bytes', values['result-bytes'], MIN_LIMITS.resultBytes),
    logBytes: integerFlag('--log-bytes', values['log-bytes'], MIN_LIMITS.logBytes),
  };
  if (Object.values(limits).some((v) => v !== undefined)) body.limits = limits; // JSON drops the ones not given
  if (values.isolation !== undefined) body.isolation = values.isolation;
  if (values.egress !== undefined) body.egress = parseEgress(values.egress);
  if (values.bundle === true) body.bundle = true;
  body.code = readArgFile(file, 'the function source', { keepBom: true });
  const name = values.name ?? nameFromFile(file);
  if (name === '') throw usageError('deploy', `no function name can be made from the file name ${JSON.stringify(file)}: give one with --name`);
  const fn = await client
    .read(
      'PUT',
      `/v1/tenants/${encodeURIComponent(values.tenant)}/functions/${encodeURIComponent(name)}`,
      Type.Object({ version: Type.String(), created: Type.Boolean(), previousVersion: Type.Optional(Nullable(Type.String())) }),
      body,
    )
    .catch((err: unknown) => {
      throw err instanceof ApiError && err.position !== undefined && file !== STDIN ? err.withHint(`  at ${sourcePosition(file, err.position)}`) : err;
    });
  process.stdout.write(`${deployLine(fn, `${values.tenant}/${name}`)}\n`);
}

/** `file:line:column` as compilers print it, so an editor or terminal can open the file there. */
export function sourcePosition(file: string, position: { line: number; column?: number }): string {
  return position.column === undefined ? `${file}:${position.line}` : `${file}:${position.line}:${position.column}`;
}

/** `deployed`, `unchanged`, or `made … the latest again` when the code is that of another existing version. */
function deployLine(fn: { version: string; created: boolean; previousVersion?: string | null | undefined }, target: string): string {
  if (fn.created) return `deployed ${target} version ${fn.version}`;
  const previous = fn.previousVersion;
  if (typeof previous === 'string' && previous !== fn.version) return `made ${target} version ${fn.version} the latest again (was ${previous})`;
  return `unchanged ${target} version ${fn.version}`;
}
