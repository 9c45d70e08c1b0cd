// `airlock tenants list [--limit N] [--after T] [--json]`: the tenants with anything stored, and
// their counts (admin key). `airlock tenants delete <tenant> --yes`: deletes everything of one
// tenant; without --yes it only says what would be deleted and how to confirm. A deletion the
// server answers `complete: false` (its time budget ran out) is called again until it is complete.
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { integerFlag, parse, UsageError } from '../args.js';
import { ApiError } from '../client.js';
import type { Client } from '../client.js';
import { shellWord } from '../../core/shell-word.js';
import { printJson, printTable } from '../output.js';
import { MAX_PAGE, pagePath, printMore } from '../paging.js';
import { onlyOptions, takePositionals, unknownSubcommand } from '../usage.js';

const SUMMARY = Type.Object({
  tenant: Type.String(),
  functions: Type.Number(),
  keys: Type.Number(),
  secrets: Type.Number(),
  schedules: Type.Number(),
  jobs: Type.Boolean(),
  executions: Type.Boolean(),
  /** Absent from a server older than the backlog cap: printed as '-'. */
  backlog: Type.Optional(Type.Number()),
});
const LIST = Type.Object({ tenants: Type.Array(SUMMARY), next: Type.Union([Type.String(), Type.Null()]) });
const DELETED = Type.Record(Type.String(), Type.Number());
const DELETION = Type.Object({
  tenant: Type.String(),
  deleted: DELETED,
  stoppedJobs: Type.Number(),
  retiredSandboxes: Type.Number(),
  complete: Type.Boolean(),
});
type Deletion = Static<typeof DELETION>;

/** Calls of DELETE one command makes at most (each deletes for up to the server's time budget). */
const MAX_DELETE_CALLS = 100;

const tenantPath = (tenant: string): string => `/v1/tenants/${encodeURIComponent(tenant)}`;
const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

export async function tenantsCommand(argv: string[], client: Client): Promise<void> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' }, yes: { type: 'boolean' }, limit: { type: 'string' }, after: { type: 'string' } });
  const [action, ...args] = positionals;
  switch (action) {
    case 'list': {
      onlyOptions('tenants', action, values, ['json', 'limit', 'after']);
      takePositionals('tenants', args, []);
      const limit = integerFlag('--limit', values.limit, 1, MAX_PAGE);
      const flags = { limit: limit?.toString(), after: values.after };
      const { tenants, next } = await client.read('GET', pagePath('/v1/tenants', flags), LIST);
      if (values.json === true) return printJson({ tenants, next });
      printTable(
        ['TENANT', 'FUNCTIONS', 'KEYS', 'SECRETS', 'SCHEDULES', 'JOBS', 'BACKLOG', 'EXECUTIONS'],
        tenants.map((t) => [
          t.tenant, String(t.functions), String(t.keys), String(t.secrets), String(t.schedules), yesNo(t.jobs), String(t.backlog ?? '-'), yesNo(t.executions),
        ]),
        values.after === undefined ? 'no tenants yet: nothing is stored under any tenant name' : `no tenants after ${values.after}`,
      );
      printMore(['tenants', 'list'], flags, next, 'after');
      return;
    }
    case 'delete': {
      onlyOptions('tenants', action, values, ['json', 'yes']);
      const [tenant] = takePositionals('tenants', args, ['<tenant>']);
      if (values.yes !== true) throw await refusal(client, tenant);
      const result = await deleteAll(client, tenant);
      if (values.json === true) printJson(result);
      else {
        const rows = Object.entries(result.deleted).map(([kind, n]) => [kind, String(n)]);
        process.stdout.write(`deleted tenant ${tenant}${result.complete ? '' : ' (not complete)'}\n`);
        printTable(['DELETED', 'ROWS'], rows, 'nothing');
        process.stdout.write(`stopped jobs: ${result.stoppedJobs}, retired sandboxes: ${result.retiredSandboxes}\n`);
      }
      // A script must not take a deletion that is not complete for done.
      if (!result.complete) throw incomplete(tenant, result.calls);
      return;
    }
    default:
      throw unknownSubcommand('tenants', action);
  }
}

/** Why nothing was deleted without --yes: what the deletion would take away, and the command that confirms it. */
async function refusal(client: Client, tenant: string): Promise<UsageError> {
  const t = await client.read('GET', tenantPath(tenant), SUMMARY);
  const what = [
    `${t.functions} function(s) with all their versions and webhook URLs`,
    `${t.keys} API key(s) (they stop working)`,
    `${t.secrets} secret(s)`,
    `${t.schedules} schedule(s) and their run history`,
    t.jobs ? 'its jobs and webhook deliveries (running ones are stopped) with their checkpoints' : 'no jobs',
    t.executions ? 'its execution records' : 'no execution records',
  ];
  return new UsageError(
    `not deleted: this deletes everything of tenant ${tenant} and cannot be undone:\n` +
      what.map((w) => `  - ${w}\n`).join('') +
      `to confirm, run: airlock tenants delete ${shellWord(tenant)} --yes`,
  );
}

/** DELETE until the server says the deletion is complete; the counts of every call summed. */
/**
 * Calls the deletion until it is complete: at most MAX_DELETE_CALLS times, and no longer once a call
 * deletes nothing (what is left cannot be deleted now; another call would only repeat it).
 */
async function deleteAll(client: Client, tenant: string): Promise<Deletion & { calls: number }> {
  let total: Deletion | undefined;
  let calls = 0;
  while (calls < MAX_DELETE_CALLS) {
    const step = await client.read('DELETE', tenantPath(tenant), DELETION);
    calls++;
    if (total === undefined) total = step;
    else {
      for (const [kind, n] of Object.entries(step.deleted)) total.deleted[kind] = (total.deleted[kind] ?? 0) + n;
      total.stoppedJobs += step.stoppedJobs;
      total.retiredSandboxes += step.retiredSandboxes;
      total.complete = step.complete;
    }
    const progress = Object.values(step.deleted).some((n) => n > 0);
    if (step.complete || (calls > 1 && !progress)) break;
  }
  return { ...total!, calls };
}

function incomplete(tenant: string, calls: number): ApiError {
  return new ApiError(
    0,
    'DELETE_INCOMPLETE',
    `tenant ${tenant} is not deleted completely after ${calls} call(s) (a call deletes a bounded number of rows; one that ` +
      'deleted nothing more means what is left cannot be deleted now): see what is left with airlock tenants list and in ' +
      'the server log, then run the command again',
  );
}
