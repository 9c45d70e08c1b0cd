// `airlock executions <tenant> [id]`: lists recent executions as a table, or prints one as JSON.
import { integerFlag, parse } from '../args.js';
import type { Client } from '../client.js';
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
  if (id) {
    const one = await client.request<unknown>('GET', `${base}/${encodeURIComponent(id)}`);
    process.stdout.write(JSON.stringify(one, null, 2) + '\n');
    return;
  }
  const query = new URLSearchParams();
  if (values.function) query.set('function', values.function);
  if (values.status) query.set('status', values.status);
  if (limit !== undefined) query.set('limit', String(limit));
  const qs = query.toString();
  const { executions } = await client.request<{ executions: ExecutionRow[] }>('GET', qs ? `${base}?${qs}` : base);
  if (values.json) {
    process.stdout.write(JSON.stringify(executions, null, 2) + '\n');
    return;
  }
  const rows = [['ID', 'FUNCTION', 'STATUS', 'START', 'MS', 'FINISHED']];
  for (const e of executions) {
    rows.push([e.id, e.function, e.status, e.start ?? '-', e.durationMs.toFixed(1), e.finishedAt]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
}
