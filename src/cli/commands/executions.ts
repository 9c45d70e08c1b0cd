// `airlock executions <tenant> [id]`: lists recent executions as a table (or JSON), or prints one
// as JSON.
import { integerFlag, parse } from '../args.js';
import type { Client } from '../client.js';
import { givenFilters, printJson, printTable } from '../output.js';
import { takePositionals } from '../usage.js';

interface ExecutionRow {
  id: string;
  function: string;
  status: string;
  start: string | null;
  durationMs: number;
  finishedAt: string;
}

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
  if (id) return printJson(await client.request<unknown>('GET', `${base}/${encodeURIComponent(id)}`));
  const query = new URLSearchParams();
  if (values.function) query.set('function', values.function);
  if (values.status) query.set('status', values.status);
  if (limit !== undefined) query.set('limit', String(limit));
  const qs = query.toString();
  const { executions } = await client.request<{ executions: ExecutionRow[] }>('GET', qs ? `${base}?${qs}` : base);
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
