// ?since= and ?until= on a tenant's executions: a time range (executions queued at or after since,
// before until) that combines with the other filters and with paging; a time that is not RFC 3339
// is a 400 saying what to send. Then the CLI's --since/--until (a time, or how long ago).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/process.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

/** The current time, once the clock has moved past the last id's millisecond (ids carry ms). */
function tick(): string {
  const start = Date.now();
  while (Date.now() <= start + 1); // at most a few ms, bounded by the clock itself
  return new Date().toISOString();
}

describe('executions within a time range', () => {
  let server: TestServer;
  const ids: string[] = [];
  let t1 = '';
  let t2 = '';
  before(async () => {
    server = await startTestServer();
    await deploy(server, 'acme', 'a', 'export default async () => 1');
    ids.push((await invoke(server, 'acme', 'a', null)).body.executionId);
    t1 = tick();
    ids.push((await invoke(server, 'acme', 'a', null)).body.executionId);
    ids.push((await invoke(server, 'acme', 'a', null)).body.executionId);
    t2 = tick();
    ids.push((await invoke(server, 'acme', 'a', null)).body.executionId);
  });
  after(() => server.close());

  const list = async (query: string): Promise<string[]> => {
    const res = await server.request('GET', `/v1/tenants/acme/executions?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.executions as { id: string }[]).map((e) => e.id);
  };

  it('since, until, both, and with paging', async () => {
    assert.deepEqual(await list(`since=${t1}`), [ids[3], ids[2], ids[1]]);
    assert.deepEqual(await list(`until=${t1}`), [ids[0]]);
    assert.deepEqual(await list(`since=${t1}&until=${t2}`), [ids[2], ids[1]]);
    assert.deepEqual(await list(`since=${t1}&until=${t2}&limit=1`), [ids[2]]);
    assert.deepEqual(await list(`since=${t1}&until=${t2}&limit=1&before=${ids[2]}`), [ids[1]]);
    assert.deepEqual(await list(`since=${t2}&function=a&status=succeeded`), [ids[3]]);
    // An offset is honoured: the same instant written in another zone.
    const shifted = new Date(Date.parse(t2)).toISOString().replace('Z', '+00:00');
    assert.deepEqual(await list(`since=${encodeURIComponent(shifted)}`), [ids[3]]);
  });

  it("the operator's list across tenants takes the same range", async () => {
    await deploy(server, 'globex', 'boom', 'export default async () => { throw new Error("boom"); }');
    const before = (await invoke(server, 'globex', 'boom', null)).body.executionId as string;
    const t3 = tick();
    const after = (await invoke(server, 'globex', 'boom', null)).body.executionId as string;
    const across = async (query: string): Promise<string[]> => {
      const res = await server.request('GET', `/v1/executions?status=failed&${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return (res.body.executions as { id: string }[]).map((e) => e.id);
    };
    assert.deepEqual(await across(`since=${t3}`), [after]);
    assert.deepEqual(await across(`until=${t3}`), [before]);
    assert.deepEqual(await across(`since=${t1}&until=${t3}&function=boom`), [before]);
    assert.equal((await server.request('GET', `/v1/executions?status=failed&since=${t3}&until=${t1}`)).status, 400);
    const cli = await runCli(['executions', '--all-tenants', '--status', 'failed', '--since', t3, '--json'], { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey });
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual((JSON.parse(cli.stdout) as { executions: { id: string }[] }).executions.map((e) => e.id), [after]);
  });

  it('a time that is not RFC 3339 is a 400 that shows the form', async () => {
    const res = await server.request('GET', '/v1/tenants/acme/executions?since=yesterday');
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /querystring\/since must be an RFC 3339 date and time with its offset, e\.g\. 2026-12-07T08:00:00Z or 2026-12-07T09:00:00\+01:00 \(in a URL, write the \+ of an offset as %2B\)/);
    const raw = await server.request('GET', '/v1/tenants/acme/executions?since=2026-12-07T10:11:00+01:00');
    assert.equal(raw.status, 400, 'an unencoded + reads as a space');
    const swapped = await server.request('GET', `/v1/tenants/acme/executions?since=${t2}&until=${t1}`);
    assert.equal(swapped.status, 400);
    assert.equal(swapped.body.error.message, `since (${t2}) must be before until (${t1}); swap them, or leave one out`);
  });

  it('the CLI takes a time or how long ago, and refuses anything else before asking', async () => {
    const env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    const recent = await runCli(['executions', 'acme', '--since', t2, '--json'], env);
    assert.equal(recent.code, 0, recent.stderr);
    assert.deepEqual((JSON.parse(recent.stdout) as { executions: { id: string }[] }).executions.map((e) => e.id), [ids[3]]);
    const hour = await runCli(['executions', 'acme', '--since', '1h', '--json'], env);
    assert.equal((JSON.parse(hour.stdout) as { executions: unknown[] }).executions.length, 4);
    const none = await runCli(['executions', 'acme', '--until', '1h'], env);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout + none.stderr, /no executions for tenant acme with .*until/);
    const bad = await runCli(['executions', 'acme', '--since', 'yesterday'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since takes a time \(RFC 3339/);
    const swapped = await runCli(['executions', 'acme', '--since', '1h', '--until', '2h'], env);
    assert.equal(swapped.code, 2);
    assert.match(swapped.stderr, /--since \(.*\) must be before --until \(.*\); durations count back from now, so --since 2h --until 1h is the hour before the last/);
  });
});
