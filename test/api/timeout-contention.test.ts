// A call that times out while more sandboxes run calls than the server has CPUs says so in its
// message (the time limit is wall-clock, so a batch can make a function time out that does not
// alone); one that times out on a machine with a CPU to spare keeps the plain message.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { usableCpus } from '../../src/core/usable-cpus.js';
import { withContention } from '../../src/services/timeout-context.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const CONTENTION = /\. When it ended, (\d+) sandboxes were running calls on this server, which may use (\d+) CPUs?: a function that computes got a share of a core/;

describe('the contention a timed-out call ended in', () => {
  it('is added only when more sandboxes were busy than there are CPUs', () => {
    const error = { type: 'Timeout', message: 'the function did not finish within 2000 ms (limits.timeoutMs); …' };
    assert.equal(withContention(error, 2, 2), error);
    const busy = withContention(error, 9, 2);
    assert.equal(busy.type, 'Timeout');
    assert.ok(busy.message.startsWith(error.message));
    assert.match(busy.message, CONTENTION);
    assert.match(busy.message, /AIRLOCK_TENANT_CONCURRENCY_OVERRIDES\), or raise the time limit$/);
    assert.match(withContention(error, 2, 1).message, /which may use 1 CPU: /);
  });
});

describe('a timed-out invoke on a busy server (real sandboxes)', () => {
  let server: TestServer;
  const cpus = usableCpus();
  before(async () => {
    // No queueing in busy sandboxes: each call below gets a sandbox of its own.
    server = await startTestServer({ AIRLOCK_SANDBOX_QUEUE: '0', AIRLOCK_CONCURRENCY: '32', AIRLOCK_TENANT_CONCURRENCY: '32' });
    await deploy(server, 'acme', 'wait', 'export default () => new Promise(() => {})', { limits: { timeoutMs: 4000 } });
    await deploy(server, 'acme', 'spin', 'export default () => { for (;;) {} }', { limits: { timeoutMs: 200 } });
  });
  after(async () => server.close());

  it('names how many sandboxes ran on how many CPUs, and a call alone does not', async () => {
    const alone = await invoke(server, 'acme', 'spin', null);
    assert.equal(alone.body.status, 'timeout');
    assert.doesNotMatch(alone.body.error.message, /When it ended/);

    // As many calls as CPUs hold a sandbox each, then one more times out among them.
    const waiting = Array.from({ length: cpus }, () => invoke(server, 'acme', 'wait', null));
    const until = Date.now() + 30_000;
    while (server.airlock.pool.stats().busy < cpus && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.ok(server.airlock.pool.stats().busy >= cpus, `${cpus} sandboxes busy`);
    const crowded = await invoke(server, 'acme', 'spin', null);
    assert.equal(crowded.body.status, 'timeout');
    const match = CONTENTION.exec(crowded.body.error.message);
    assert.ok(match, crowded.body.error.message);
    assert.ok(Number(match[1]) > cpus, `${match[1]} busy sandboxes, its own included`);
    assert.equal(Number(match[2]), cpus);
    // The record says the same.
    const record = await server.request('GET', `/v1/tenants/acme/executions/${crowded.body.executionId}`);
    assert.equal(record.body.error.message, crowded.body.error.message);
    for (const res of await Promise.all(waiting)) assert.equal(res.body.status, 'timeout');
  });
});
