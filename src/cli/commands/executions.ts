// `airlock executions <tenant> [id]`: lists recent executions as a table (or JSON), a page at a
// time (--before), within a time range (--since, --until), or prints one as JSON. `airlock executions --all-tenants --status S`: the
// executions of every tenant that ended with S (admin key; GET /v1/executions). Tables name each
// execution's error type, so a job slice's normal continuation is told apart from a failure.
import { integerFlag, parse } from '../args.js';
import type { Client } from '../client.js';
import { MAX_PAGE, pagePath, printMore } from '../paging.js';
import { Type } from '@sinclair/typebox';
import { Nullable } from '../answer.js';
import { givenFilters, printJson, printTable } from '../output.js';
import { timeFlag } from '../time-flag.js';
import { takePositionals, usageError } from '../usage.js';

/** What the table reads of a page of executions. */
const EXECUTIONS = Type.Object({
  executions: Type.Array(
    Type.Object({
      id: Type.String(), tenant: Type.String(), function: Type.String(), status: Type.String(), start: Nullable(Type.String()), durationMs: Type.Number(),
      finishedAt: Type.String(), error: Type.Optional(Nullable(Type.Object({ type: Type.String() }))),
    }),
  ),
  next: Type.Optional(Nullable(Type.String())),
});

/**
 * The ERROR column: the error's type, which tells a job slice that reached its cap and goes on
 * (`timeout`, SliceCapReached) or was handed back at a shutdown (`killed`, ServerShutdown) from a
 * call that ran out of time (Timeout) or a sandbox that died; `-` when there is none.
 */
function errorType(e: { error?: { type: string } | null }): string {
  return e.error?.type ?? '-';
}

/** What is read of one execution before it is printed whole. */
const EXECUTION = Type.Object({ id: Type.String(), status: Type.String() });

export async function executionsCommand(argv: string[], client: Client): Promise<void> {
  const { values, positionals } = parse(argv, {
    function: { type: 'string', short: 'f' },
    status: { type: 'string', short: 's' },
    job: { type: 'string' },
    limit: { type: 'string', short: 'n' },
    before: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    json: { type: 'boolean' },
    'all-tenants': { type: 'boolean' },
    tenant: { type: 'string' },
  });
  const limit = integerFlag('--limit', values.limit, 1, MAX_PAGE);
  const since = timeFlag('--since', values.since);
  const until = timeFlag('--until', values.until);
  if (since !== undefined && until !== undefined && Date.parse(since) >= Date.parse(until)) {
    throw usageError('executions', `--since (${since}) must be before --until (${until}); durations count back from now, so --since 2h --until 1h is the hour before the last`);
  }
  if (values['all-tenants'] === true) return allTenants(positionals, { ...values, since, until, limit: limit?.toString() }, client);
  if (values.tenant !== undefined) throw usageError('executions', '--tenant goes with --all-tenants; otherwise name the tenant first: airlock executions <tenant>');
  const [tenant, id] = takePositionals('executions', positionals, ['<tenant>'], ['<id>']);
  const base = `/v1/tenants/${encodeURIComponent(tenant)}/executions`;
  if (id) return printJson(await client.read('GET', `${base}/${encodeURIComponent(id)}`, EXECUTION));
  const flags = { function: values.function, status: values.status, job: values.job, since, until, limit: limit?.toString(), before: values.before };
  const { executions, next = null } = await client.read('GET', pagePath(base, flags), EXECUTIONS);
  if (values.json) return printJson({ executions, next });
  const filters = givenFilters({ function: values.function, status: values.status, job: values.job, since, until, before: values.before });
  printTable(
    ['ID', 'FUNCTION', 'STATUS', 'ERROR', 'START', 'MS', 'FINISHED'],
    executions.map((e) => [e.id, e.function, e.status, errorType(e), e.start ?? '-', e.durationMs.toFixed(1), e.finishedAt]),
    filters
      ? `no executions for tenant ${tenant} with ${filters}`
      : `no executions for tenant ${tenant} yet; run a function with: airlock invoke ${tenant}/<function>`,
  );
  if (executions.length > 0) printMore(['executions', tenant], flags, next);
}

/** `--all-tenants`: every tenant's executions with one status (or one tenant's, with --tenant). */
async function allTenants(
  positionals: string[],
  values: { status?: string; tenant?: string; function?: string; job?: string; since?: string; until?: string; before?: string; limit?: string; json?: boolean },
  client: Client,
): Promise<void> {
  takePositionals('executions', positionals, []);
  if (values.job !== undefined) throw usageError('executions', '--job needs the tenant: airlock executions <tenant> --job ID');
  if (values.status === undefined && values.tenant === undefined) {
    throw usageError('executions', '--all-tenants needs --status (failed, timeout, oom, killed or rejected), or --tenant T');
  }
  const flags = { status: values.status, tenant: values.tenant, function: values.function, since: values.since, until: values.until, limit: values.limit, before: values.before };
  const { executions, next = null } = await client.read('GET', pagePath('/v1/executions', flags), EXECUTIONS);
  if (values.json) return printJson({ executions, next });
  printTable(
    ['ID', 'TENANT', 'FUNCTION', 'STATUS', 'ERROR', 'START', 'MS', 'FINISHED'],
    executions.map((e) => [e.id, e.tenant, e.function, e.status, errorType(e), e.start ?? '-', e.durationMs.toFixed(1), e.finishedAt]),
    `no executions of any tenant with ${givenFilters({ status: values.status, tenant: values.tenant, function: values.function, since: values.since, until: values.until, before: values.before })}`,
  );
  if (executions.length > 0) printMore(['executions', '--all-tenants'], flags, next);
}
