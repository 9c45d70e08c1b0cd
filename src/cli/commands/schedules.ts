// `airlock schedules set|get|list|delete|runs`: create or replace a schedule (a cron expression
// or an interval that runs a function as a background job), read one as JSON, list a tenant's
// schedules as a table (or JSON), delete one, list a schedule's occurrences a page at a time.
import { integerFlag, parse } from '../args.js';
import type { Client } from '../client.js';
import { MAX_PAGE, pagePath, printMore } from '../paging.js';
import { Type } from '@sinclair/typebox';
import { Nullable } from '../answer.js';
import { printJson, printTable } from '../output.js';
import { onlyOptions, takePositionals, unknownSubcommand, usageError } from '../usage.js';
import { readInput } from './invoke.js';

/** What the table reads of a tenant's schedules. */
const SCHEDULES = Type.Object({
  schedules: Type.Array(
    Type.Object({
      name: Type.String(),
      function: Type.String(),
      cron: Type.Optional(Type.String()),
      everySeconds: Type.Optional(Type.Number()),
      timezone: Type.String(),
      nextRunAt: Nullable(Type.String()),
      fired: Type.Number(),
      skipped: Type.Number(),
    }),
  ),
});

/** What the table reads of a schedule's occurrences. */
const RUNS = Type.Object({
  runs: Type.Array(
    Type.Object({ occurrenceAt: Type.String(), outcome: Type.String(), jobId: Type.Optional(Type.String()), missed: Type.Number(), reason: Type.Optional(Type.String()) }),
  ),
  next: Type.Optional(Nullable(Type.String())),
});

/** What is read of one schedule before it is printed whole. */
const SCHEDULE = Type.Object({ name: Type.String() });

function splitSchedule(target: string): { tenant: string; name: string } {
  const match = /^([^/]+)\/([^/]+)$/.exec(target);
  if (!match) throw usageError('schedules', 'expected <tenant>/<schedule>, e.g. acme/nightly-sync');
  return { tenant: match[1]!, name: match[2]! };
}

export async function schedulesCommand(argv: string[], client: Client): Promise<void> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    function: { type: 'string', short: 'f' },
    cron: { type: 'string' },
    every: { type: 'string' },
    input: { type: 'string', short: 'i' },
    timezone: { type: 'string', short: 'z' },
    overlap: { type: 'string' },
    limit: { type: 'string', short: 'n' },
    before: { type: 'string' },
    json: { type: 'boolean' },
  });
  const base = (tenant: string) => `/v1/tenants/${encodeURIComponent(tenant)}/schedules`;
  switch (sub) {
    case 'set': {
      onlyOptions('schedules', sub, values, ['function', 'cron', 'every', 'input', 'timezone', 'overlap']);
      const [target] = takePositionals('schedules', positionals, ['<tenant>/<schedule>']);
      const { tenant, name } = splitSchedule(target);
      if (!values.function) throw usageError('schedules', '--function is required');
      if ((values.cron === undefined) === (values.every === undefined)) throw usageError('schedules', 'give exactly one of --cron and --every');
      const body: Record<string, unknown> = { function: values.function, input: readInput(values.input) };
      if (values.cron !== undefined) body.cron = values.cron;
      body.everySeconds = integerFlag('--every', values.every); // JSON drops it when not given
      if (values.timezone !== undefined) body.timezone = values.timezone;
      if (values.overlap !== undefined) body.overlap = values.overlap;
      printJson(await client.read('PUT', `${base(tenant)}/${encodeURIComponent(name)}`, SCHEDULE, body));
      return;
    }
    case 'get':
    case 'delete': {
      onlyOptions('schedules', sub, values, []);
      const [tenant, name] = takePositionals('schedules', positionals, ['<tenant>', '<schedule>']);
      const path = `${base(tenant)}/${encodeURIComponent(name)}`;
      if (sub === 'get') return printJson(await client.read('GET', path, SCHEDULE));
      await client.request('DELETE', path);
      process.stdout.write(`deleted schedule ${tenant}/${name}\n`);
      return;
    }
    case 'list': {
      onlyOptions('schedules', sub, values, ['json']);
      const [tenant] = takePositionals('schedules', positionals, ['<tenant>']);
      const { schedules } = await client.read('GET', base(tenant), SCHEDULES);
      if (values.json) return printJson(schedules);
      printTable(
        ['NAME', 'FUNCTION', 'WHEN', 'TIMEZONE', 'NEXT RUN', 'FIRED', 'SKIPPED'],
        schedules.map((s) => [s.name, s.function, s.cron ?? `every ${s.everySeconds}s`, s.timezone, s.nextRunAt ?? 'never', String(s.fired), String(s.skipped)]),
        `no schedules for tenant ${tenant}; create one with: airlock schedules set ${tenant}/<schedule> --function F --every SECONDS`,
      );
      return;
    }
    case 'runs': {
      onlyOptions('schedules', sub, values, ['limit', 'before', 'json']);
      const [tenant, name] = takePositionals('schedules', positionals, ['<tenant>', '<schedule>']);
      const flags = { limit: integerFlag('--limit', values.limit, 1, MAX_PAGE)?.toString(), before: values.before };
      const { runs, next = null } = await client.read('GET', pagePath(`${base(tenant)}/${encodeURIComponent(name)}/runs`, flags), RUNS);
      if (values.json) return printJson({ runs, next });
      printTable(
        ['OCCURRENCE', 'OUTCOME', 'JOB', 'MISSED', 'REASON'],
        runs.map((r) => [r.occurrenceAt, r.outcome, r.jobId ?? '-', String(r.missed), r.reason ?? '']),
        values.before
          ? `no runs of schedule ${tenant}/${name} before ${values.before}`
          : `no runs of schedule ${tenant}/${name} yet; see when it runs next with: airlock schedules get ${tenant} ${name}`,
      );
      if (runs.length > 0) printMore(['schedules', 'runs', tenant, name], flags, next);
      return;
    }
    default:
      throw unknownSubcommand('schedules', sub);
  }
}
