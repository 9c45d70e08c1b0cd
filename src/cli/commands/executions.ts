// `airlock executions <tenant> [id]`: lists recent executions as a table (or JSON), or prints one
// as JSON.
import { integerFlag, parse } from '../args.js';
import type { Client } from '../client.js';
import type { Shape } from '../shape.js';
import { givenFilters, printJson, printTable } from '../output.js';
import { takePositionals } from '../usage.js';

/** What the table reads of a page of executions. */
const EXECUTIONS = {
  executions: [{ id: 'string', function: 'string', status: 'string', start: 'string|null', durationMs: 'number', finishedAt: 'string' }],
} as const satisfies Shape;

export async function executionsCommand(argv: string[], client: Client): Promise<void> {
  const { values, positionals } = parse(argv, {
    function: { type: 'string', short: 'f' },
    status: { type: 'string', short: 's' },
    limit: { type: 'string', short: 'n' },
    json: { type: 'boolean' },
  });
  const [tenant, id] = takePositionals('executions', positionals, ['<tenant>'], ['<id>']);
  const limit = integerFlag('--limit', values.limit);
  const base = `/v1/tenants/${encodeURIComponent(tenant)}/executions`;
  if (id) return printJson(await client.read('GET', `${base}/${encodeURIComponent(id)}`, { id: 'string', status: 'string' }));
  const query = new URLSearchParams();
  if (values.function) query.set('function', values.function);
  if (values.status) query.set('status', values.status);
  if (limit !== undefined) query.set('limit', String(limit));
  const qs = query.toString();
  const { executions } = await client.read('GET', qs ? `${base}?${qs}` : base, EXECUTIONS);
  if (values.json) return printJson(executions);
  const filters = givenFilters({ function: values.function, status: values.status });
  printTable(
    ['ID', 'FUNCTION', 'STATUS', 'START', 'MS', 'FINISHED'],
    executions.map((e) => [e.id, e.function, e.status, e.start ?? '-', e.durationMs.toFixed(1), e.finishedAt]),
    filters
      ? `no executions for tenant ${tenant} with ${filters}`
      : `no executions for tenant ${tenant} yet; run a function with: airlock invoke ${tenant}/<function>`,
  );
}
