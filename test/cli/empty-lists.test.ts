// Against a real server, every list command of a tenant with nothing to list prints one line
// saying so (and how to add the first entry, or which filters matched nothing) instead of
// nothing or a lone header; with --json it prints [] (a paged list: its page, with next null).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../support/process.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('empty lists', () => {
  let server: TestServer;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0' });
    env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    await deploy(server, 'acme', 'echo', 'export default async (input) => input;');
    const schedule = await server.request('PUT', '/v1/tenants/acme/schedules/nightly', { function: 'echo', everySeconds: 86_400 });
    assert.equal(schedule.status, 201, JSON.stringify(schedule.body));
  });
  after(() => server.close());

  const human: { args: string[]; line: string }[] = [
    { args: ['keys', 'list', 'acme'], line: 'no keys for tenant acme; create one with: airlock keys create acme' },
    { args: ['secrets', 'list', 'acme'], line: 'no secrets for tenant acme; set one with: printf %s "$VALUE" | airlock secrets set acme <name> --hosts <host>' },
    { args: ['executions', 'acme'], line: 'no executions for tenant acme yet; run a function with: airlock invoke acme/<function>' },
    { args: ['executions', 'acme', '--function', 'echo', '--status', 'failed'], line: 'no executions for tenant acme with --function echo --status failed' },
    { args: ['jobs', 'list', 'acme'], line: 'no jobs for tenant acme yet; submit one with: airlock jobs submit acme/<function>' },
    { args: ['jobs', 'list', 'acme', '--status', 'dead'], line: 'no jobs for tenant acme with --status dead' },
    { args: ['schedules', 'list', 'globex'], line: 'no schedules for tenant globex; create one with: airlock schedules set globex/<schedule> --function F --every SECONDS' },
    { args: ['schedules', 'runs', 'acme', 'nightly'], line: 'no runs of schedule acme/nightly yet; see when it runs next with: airlock schedules get acme nightly' },
  ];
  for (const { args, line } of human) {
    it(`airlock ${args.join(' ')} says the list is empty`, async () => {
      const r = await runCli(args, env);
      assert.deepEqual(r, { code: 0, stdout: `${line}\n`, stderr: '' });
    });
  }

  const json: { args: string[]; printed: unknown }[] = [
    { args: ['keys', 'list', 'acme', '--json'], printed: [] },
    { args: ['secrets', 'list', 'acme', '--json'], printed: [] },
    { args: ['executions', 'acme', '--json'], printed: { executions: [], next: null } },
    { args: ['jobs', 'list', 'acme', '--json'], printed: { jobs: [], next: null } },
    { args: ['schedules', 'list', 'globex', '--json'], printed: [] },
    { args: ['schedules', 'runs', 'acme', 'nightly', '--json'], printed: { runs: [], next: null } },
  ];
  for (const { args, printed } of json) {
    it(`airlock ${args.join(' ')} prints ${JSON.stringify(printed)} as JSON`, async () => {
      const r = await runCli(args, env);
      assert.deepEqual(r, { code: 0, stdout: `${JSON.stringify(printed, null, 2)}\n`, stderr: '' });
    });
  }
});
