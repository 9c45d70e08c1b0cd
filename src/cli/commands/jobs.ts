// `airlock jobs submit|get|list|cancel|retry`: submit a job (prints {jobId}), read one as JSON,
// list a tenant's jobs as a table (or JSON) a page at a time (--before), cancel one, run a failed,
// dead or cancelled one again in place.
import { integerFlag, parse } from '../args.js';
import type { Client } from '../client.js';
import { MAX_PAGE, pagePath, printMore } from '../paging.js';
import { Type } from '@sinclair/typebox';
import { Nullable } from '../answer.js';
import { givenFilters, printJson, printTable } from '../output.js';
import { onlyOptions, takePositionals, unknownSubcommand } from '../usage.js';
import { readInput, splitTarget } from './invoke.js';

/** What the table reads of a page of jobs. */
const JOBS = Type.Object({
  jobs: Type.Array(
    Type.Object({ id: Type.String(), function: Type.String(), status: Type.String(), attempts: Type.Number(), runs: Type.Number(), updatedAt: Type.String() }),
  ),
  next: Type.Optional(Nullable(Type.String())),
});

/** What `jobs retry <tenant> --function F` reads of the answer. */
const RETRIED = Type.Object({
  retried: Type.Array(Type.String()),
  skipped: Type.Array(Type.Object({ id: Type.String(), code: Type.String(), message: Type.String() })),
  more: Type.Boolean(),
});

export async function jobsCommand(argv: string[], client: Client): Promise<void> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    input: { type: 'string', short: 'i' },
    'idempotency-key': { type: 'string' },
    'max-run-ms': { type: 'string' },
    'max-attempts': { type: 'string' },
    'deadline-ms': { type: 'string' },
    version: { type: 'string' },
    function: { type: 'string', short: 'f' },
    status: { type: 'string', short: 's' },
    limit: { type: 'string', short: 'n' },
    before: { type: 'string' },
    json: { type: 'boolean' },
  });
  const tenantBase = (tenant: string) => `/v1/tenants/${encodeURIComponent(tenant)}`;
  switch (sub) {
    case 'submit': {
      onlyOptions('jobs', sub, values, ['input', 'idempotency-key', 'max-run-ms', 'max-attempts', 'deadline-ms']);
      const [target] = takePositionals('jobs', positionals, ['<tenant>/<function>']);
      const { tenant, name } = splitTarget(target, 'jobs');
      const body: Record<string, unknown> = { input: readInput(values.input) };
      if (values['idempotency-key'] !== undefined) body.idempotencyKey = values['idempotency-key'];
      body.maxRunMs = integerFlag('--max-run-ms', values['max-run-ms']); // JSON drops it when not given
      body.maxAttempts = integerFlag('--max-attempts', values['max-attempts']);
      body.deadlineMs = integerFlag('--deadline-ms', values['deadline-ms']);
      printJson(await client.read('POST', `${tenantBase(tenant)}/functions/${encodeURIComponent(name)}/jobs`, Type.Object({ jobId: Type.String() }), body));
      return;
    }
    case 'get':
    case 'cancel': {
      onlyOptions('jobs', sub, values, []);
      const [tenant, id] = takePositionals('jobs', positionals, ['<tenant>', '<id>']);
      const path = `${tenantBase(tenant)}/jobs/${encodeURIComponent(id)}`;
      if (sub === 'get') {
        printJson(await client.read('GET', path, Type.Object({ id: Type.String(), status: Type.String() })));
        return;
      }
      const job = await client.read('POST', `${path}/cancel`, Type.Object({ status: Type.String() }));
      printJson(job);
      // A finished job stays as it was: say so, or the JSON alone reads like a cancel.
      if (job.status !== 'cancelled') process.stderr.write(`job ${id} had already ended (${job.status}): nothing was cancelled\n`);
      return;
    }
    case 'retry': {
      const body: Record<string, unknown> = {
        version: values.version,
        maxAttempts: integerFlag('--max-attempts', values['max-attempts']),
        deadlineMs: integerFlag('--deadline-ms', values['deadline-ms']),
        maxRunMs: integerFlag('--max-run-ms', values['max-run-ms']),
      }; // JSON drops the ones not given
      // `retry <tenant> --function F`: many of the function's jobs at once.
      if (values.function !== undefined && positionals.length === 1) {
        onlyOptions('jobs', sub, values, ['function', 'status', 'limit', 'version', 'max-attempts', 'deadline-ms', 'max-run-ms']);
        const [tenant] = takePositionals('jobs', positionals, ['<tenant>']);
        const many = { ...body, function: values.function, status: values.status, limit: integerFlag('--limit', values.limit, 1, 1000) };
        const done = await client.read('POST', `${tenantBase(tenant)}/jobs/retry`, RETRIED, many);
        printJson(done);
        const which = values.status ?? 'dead';
        process.stderr.write(
          `${done.retried.length} ${which} job(s) of ${tenant}/${values.function} queued again` +
            (done.skipped.length > 0 ? `, ${done.skipped.length} skipped (see skipped)` : '') +
            (done.more ? `; more are left: run the same command again\n` : '\n'),
        );
        return;
      }
      onlyOptions('jobs', sub, values, ['version', 'max-attempts', 'deadline-ms', 'max-run-ms']);
      const [tenant, id] = takePositionals('jobs', positionals, ['<tenant>', '<id>']);
      const job = await client.read(
        'POST',
        `${tenantBase(tenant)}/jobs/${encodeURIComponent(id)}/retry`,
        Type.Object({ id: Type.String(), status: Type.String() }),
        body,
      );
      printJson(job);
      process.stderr.write(`job ${id} is queued again; follow it with: airlock jobs get ${tenant} ${id}\n`);
      return;
    }
    case 'list': {
      onlyOptions('jobs', sub, values, ['function', 'status', 'limit', 'before', 'idempotency-key', 'json']);
      const [tenant] = takePositionals('jobs', positionals, ['<tenant>']);
      const limit = integerFlag('--limit', values.limit, 1, MAX_PAGE);
      const flags = { function: values.function, status: values.status, limit: limit?.toString(), before: values.before, idempotencyKey: values['idempotency-key'] };
      const { jobs, next = null } = await client.read('GET', pagePath(`${tenantBase(tenant)}/jobs`, flags), JOBS);
      if (values.json) return printJson({ jobs, next });
      const filters = givenFilters({ function: values.function, status: values.status, before: values.before, 'idempotency-key': values['idempotency-key'] });
      printTable(
        ['ID', 'FUNCTION', 'STATUS', 'ATTEMPTS', 'RUNS', 'UPDATED'],
        jobs.map((j) => [j.id, j.function, j.status, String(j.attempts), String(j.runs), j.updatedAt]),
        filters ? `no jobs for tenant ${tenant} with ${filters}` : `no jobs for tenant ${tenant} yet; submit one with: airlock jobs submit ${tenant}/<function>`,
      );
      // A key names one job at most: no page after it.
      if (jobs.length > 0 && values['idempotency-key'] === undefined) printMore(['jobs', 'list', tenant], flags, next);
      return;
    }
    default:
      throw unknownSubcommand('jobs', sub);
  }
}
