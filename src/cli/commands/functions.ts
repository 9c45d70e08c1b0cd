// `airlock functions <tenant>` lists a tenant's functions; `airlock functions <tenant>/<function>`
// shows one (its latest version, or --version V): limits, isolation, egress and webhook URL, or
// with --code prints its source as deployed; --versions lists its versions with their settings;
// `airlock functions rollback <tenant>/<function> --version V` makes an existing version the
// latest again; `airlock functions delete <tenant>/<function>` deletes it with all its versions.
// `rollback` and `delete` are always sub-commands, never a tenant's name.
import { parse } from '../args.js';
import type { Client } from '../client.js';
import { printJson, printTable } from '../output.js';
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Nullable } from '../answer.js';
import { onlyOptions, takePositionals, unknownSubcommand, usageError } from '../usage.js';
import { closestName } from '../suggest.js';
import { describeVerify, VERIFY } from './hooks-verify.js';
import { splitTarget } from './invoke.js';

/** What the table reads of a tenant's functions. */
const FUNCTIONS = Type.Object({
  functions: Type.Array(
    Type.Object({ name: Type.String(), latestVersion: Type.String(), runtime: Type.String(), versions: Type.Number(), updatedAt: Type.String() }),
  ),
});

/** What `show` reads of a function. */
const FUNCTION = Type.Object({
  tenant: Type.String(),
  name: Type.String(),
  version: Type.String(),
  runtime: Type.String(),
  limits: Type.Object({ timeoutMs: Type.Number(), memoryMiB: Type.Number(), inputBytes: Type.Number(), resultBytes: Type.Number(), logBytes: Type.Number() }),
  isolation: Type.String(),
  egress: Type.Optional(
    Type.Object({
      allow: Type.Array(
        Type.Object({
          host: Type.String(),
          ports: Type.Optional(Type.Array(Type.Number())),
          methods: Type.Optional(Type.Array(Type.String())),
          pathPrefixes: Type.Optional(Type.Array(Type.String())),
        }),
      ),
      limits: Type.Optional(Type.Object({ requests: Type.Number(), requestBytes: Type.Number(), responseBytes: Type.Number(), timeoutMs: Type.Number() })),
    }),
  ),
  createdAt: Type.String(),
  webhook: Type.Optional(Type.Object({ path: Nullable(Type.String()), verify: Type.Optional(VERIFY) })),
});

type FunctionView = Static<typeof FUNCTION>;

/** What `--versions` reads of a function's versions. */
const VERSIONS = Type.Object({
  latest: Type.String(),
  versions: Type.Array(
    Type.Object({
      version: Type.String(),
      runtime: Type.String(),
      limits: Type.Object({ timeoutMs: Type.Number(), memoryMiB: Type.Number() }),
      isolation: Type.String(),
      egress: FUNCTION.properties.egress,
      createdAt: Type.String(),
    }),
  ),
});

/** What `rollback` reads of its answer. */
const LATEST_SET = Type.Object({ version: Type.String(), previousVersion: Type.String() });

/** The header a version's source comes with (checked: a server that is not Airlock has none). */
const SOURCE_MARKER = 'x-airlock-version';

/** A version's egress in a table cell: `none`, or the hosts it may call. */
function egressCell(egress: FunctionView['egress']): string {
  return egress === undefined ? 'none' : egress.allow.map((rule) => rule.host).join(',');
}

/** One egress rule in a line: `api.example.com ports 443 methods GET paths /v1/`. */
function ruleLine(rule: NonNullable<FunctionView['egress']>['allow'][number]): string {
  const parts = [rule.host];
  if (rule.ports !== undefined) parts.push(`ports ${rule.ports.join(',')}`);
  if (rule.methods !== undefined) parts.push(`methods ${rule.methods.join(',')}`);
  if (rule.pathPrefixes !== undefined) parts.push(`paths ${rule.pathPrefixes.join(',')}`);
  return parts.join(' ');
}

/** `show`: one `field  value` line each, values aligned. */
export function functionLines(fn: FunctionView, baseUrl: string): string[] {
  const { limits, egress, webhook } = fn;
  const rows: [string, string][] = [
    ['function', `${fn.tenant}/${fn.name}`],
    ['version', fn.version],
    ['runtime', fn.runtime],
    ['created', fn.createdAt],
    ['isolation', fn.isolation],
    [
      'limits',
      `timeout ${limits.timeoutMs} ms, memory ${limits.memoryMiB} MiB, input ${limits.inputBytes} bytes, ` +
        `result ${limits.resultBytes} bytes, logs ${limits.logBytes} bytes`,
    ],
  ];
  if (egress === undefined) rows.push(['egress', 'none (no network)']);
  else {
    for (const rule of egress.allow) rows.push(['egress', ruleLine(rule)]);
    const l = egress.limits;
    if (l !== undefined) {
      rows.push(['egress limits', `${l.requests} requests, request ${l.requestBytes} bytes, response ${l.responseBytes} bytes, timeout ${l.timeoutMs} ms`]);
    }
  }
  if (webhook !== undefined) {
    const hook = `${fn.tenant}/${fn.name}`;
    rows.push(['webhook', webhook.path === null ? `unreadable (sealed with a master key the server no longer has): give the server that key in AIRLOCK_SECRET_KEY_PREVIOUS to keep the URL, or run: airlock hooks rotate ${hook}` : baseUrl + webhook.path]);
    if (webhook.verify !== undefined) rows.push(['signatures', describeVerify(webhook.verify)]);
  } else {
    rows.push(['webhook', `off (turn it on with: airlock hooks rotate ${fn.tenant}/${fn.name})`]);
  }
  const width = Math.max(...rows.map(([field]) => field.length));
  return rows.map(([field, value]) => `${field.padEnd(width)}  ${value}`);
}

/** The sub-commands of `functions`, read as such before any tenant name. */
const SUBCOMMANDS = ['delete', 'rollback'];

export async function functionsCommand(argv: string[], client: Client): Promise<void> {
  const { values, positionals } = parse(argv, {
    version: { type: 'string' },
    versions: { type: 'boolean' },
    code: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const tenantPath = (tenant: string): string => `/v1/tenants/${encodeURIComponent(tenant)}/functions`;
  const functionPath = (tenant: string, name: string): string => `${tenantPath(tenant)}/${encodeURIComponent(name)}`;
  if (positionals[0] === 'delete') {
    onlyOptions('functions', 'delete', values, []);
    const [target] = takePositionals('functions', positionals.slice(1), ['<tenant>/<function>']);
    const { tenant, name } = splitTarget(target, 'functions');
    await client.request('DELETE', functionPath(tenant, name));
    process.stdout.write(`deleted function ${tenant}/${name}, all its versions, its webhook and its schedules\n`);
    return;
  }
  if (positionals[0] === 'rollback') {
    onlyOptions('functions', 'rollback', values, ['version', 'json']);
    const [target] = takePositionals('functions', positionals.slice(1), ['<tenant>/<function>']);
    const { tenant, name } = splitTarget(target, 'functions');
    if (values.version === undefined) {
      throw usageError('functions', `functions rollback needs --version V, the version to make the latest; list them with: airlock functions ${target} --versions`);
    }
    const fn = await client.read('PUT', `${functionPath(tenant, name)}/latest`, LATEST_SET, { version: values.version });
    if (values.json) return printJson(fn);
    const line =
      fn.previousVersion === fn.version
        ? `unchanged ${tenant}/${name} version ${fn.version} (it is the latest already)`
        : `made ${tenant}/${name} version ${fn.version} the latest again (was ${fn.previousVersion})`;
    process.stdout.write(`${line}\n`);
    return;
  }
  // `functions delet acme/hello`: a listing takes one argument, so two that start with a near-miss are a typo.
  if (positionals.length > 1 && positionals[0] !== undefined && closestName(positionals[0], SUBCOMMANDS) !== undefined) {
    throw unknownSubcommand('functions', positionals[0]);
  }
  const [target] = takePositionals('functions', positionals, ['<tenant> or <tenant>/<function>']);
  if (target.includes('/') && values.versions === true) {
    onlyOptions('functions', '<tenant>/<function> --versions', values, ['versions', 'json']);
    const { tenant, name } = splitTarget(target, 'functions');
    const listed = await client.read('GET', `${functionPath(tenant, name)}/versions`, VERSIONS);
    if (values.json) return printJson(listed);
    printTable(
      ['VERSION', 'RUNTIME', 'DEPLOYED', 'ISOLATION', 'TIMEOUT', 'MEMORY', 'EGRESS', 'LATEST'],
      listed.versions.map((v) => [
        v.version,
        v.runtime,
        v.createdAt,
        v.isolation,
        `${v.limits.timeoutMs}ms`,
        `${v.limits.memoryMiB}MiB`,
        egressCell(v.egress),
        v.version === listed.latest ? 'yes' : '',
      ]),
      `function ${tenant}/${name} has no versions`,
    );
    return;
  }
  if (target.includes('/') && values.code === true) {
    onlyOptions('functions', '<tenant>/<function> --code', values, ['version', 'code']);
    const { tenant, name } = splitTarget(target, 'functions');
    const query = values.version === undefined ? '' : `?${new URLSearchParams({ version: values.version })}`;
    // The bytes as deployed, nothing added: `… --code > hello.ts` is the file that was deployed.
    process.stdout.write(await client.readBytes(`${functionPath(tenant, name)}/code${query}`, SOURCE_MARKER));
    return;
  }
  if (target.includes('/')) {
    onlyOptions('functions', '<tenant>/<function>', values, ['version', 'json']);
    const { tenant, name } = splitTarget(target, 'functions');
    const query = values.version === undefined ? '' : `?${new URLSearchParams({ version: values.version })}`;
    const fn = await client.read('GET', functionPath(tenant, name) + query, FUNCTION);
    // --json prints the whole answer (fields this command does not read included).
    if (values.json) return printJson(fn);
    process.stdout.write(functionLines(fn, client.url).join('\n') + '\n');
    return;
  }
  onlyOptions('functions', '<tenant>', values, ['json']);
  const { functions } = await client.read('GET', tenantPath(target), FUNCTIONS);
  if (values.json) return printJson(functions);
  printTable(
    ['NAME', 'LATEST VERSION', 'RUNTIME', 'VERSIONS', 'UPDATED'],
    functions.map((f) => [f.name, f.latestVersion, f.runtime, String(f.versions), f.updatedAt]),
    `no functions for tenant ${target} yet; deploy one with: airlock deploy <file> --tenant ${target}`,
  );
}
