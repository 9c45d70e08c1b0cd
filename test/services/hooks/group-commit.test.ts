// The group committer on a real SQLite queue file: deliveries that arrive together share one
// transaction, each caller is answered only once its item is readable from another connection
// (committed), and a bad delivery, or one past its tenant's backlog cap, fails alone without
// taking its batch down.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteQueue } from '../../../src/store/sqlite/queue/store.js';
import { GroupCommitter } from '../../../src/services/hooks/group-commit.js';
import { testPolicy } from '../../queue/support.js';

const item = (n: number) => ({ tenant: 'acme', function: 'hook', lane: 'background' as const, payload: { n } });

async function withQueues(fn: (writer: SqliteQueue, reader: SqliteQueue) => Promise<void>, tenantBacklog = 0): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-group-commit-'));
  const file = join(dir, 'airlock.db');
  const writer = new SqliteQueue(file, { policy: testPolicy({ payloadBytes: 64, tenantBacklog }) });
  await writer.migrate();
  const reader = new SqliteQueue(file, { policy: testPolicy() });
  await reader.migrate();
  try {
    await fn(writer, reader);
  } finally {
    await writer.close();
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('deliveries arriving together share one commit, and each answer comes after its commit', () =>
  withQueues(async (writer, reader) => {
    const committer = new GroupCommitter(writer, { windowMs: 5, maxBatch: 1000 });
    const seen: boolean[] = [];
    const all = Array.from({ length: 50 }, (_, n) =>
      committer.enqueue(item(n)).then(async (id) => {
        seen.push((await reader.get('acme', id)) !== undefined); // another connection sees it already
        return id;
      }),
    );
    const ids = await Promise.all(all);
    assert.equal(new Set(ids).size, 50);
    assert.deepEqual(seen, Array(50).fill(true));
    assert.deepEqual(committer.stats, { commits: 1, items: 50 });
    await committer.close();
  }));

test('a full batch commits at once; later ones get their own commit', () =>
  withQueues(async (writer) => {
    const committer = new GroupCommitter(writer, { windowMs: 60_000, maxBatch: 10 });
    // With a one-minute window only the size bound can commit these: resolving proves it did.
    const ids = await Promise.all(Array.from({ length: 30 }, (_, n) => committer.enqueue(item(n))));
    assert.equal(ids.length, 30);
    assert.deepEqual(committer.stats, { commits: 3, items: 30 });
    await committer.close();
  }));

test('one bad delivery is refused alone; the rest of its batch is stored', () =>
  withQueues(async (writer, reader) => {
    const committer = new GroupCommitter(writer, { windowMs: 0, maxBatch: 100 });
    const results = await Promise.allSettled([
      committer.enqueue(item(1)),
      committer.enqueue({ ...item(2), payload: 'x'.repeat(200) }), // above payloadBytes
      committer.enqueue(item(3)),
    ]);
    assert.equal(results[0]!.status, 'fulfilled');
    assert.equal(results[1]!.status, 'rejected');
    assert.equal(results[2]!.status, 'fulfilled');
    const stored = await reader.list({ tenant: 'acme', limit: 10 });
    assert.equal(stored.length, 2);
    await committer.close();
  }));

test("deliveries past their tenant's backlog cap are refused alone, in the same one commit as the rest", () =>
  withQueues(async (writer, reader) => {
    const committer = new GroupCommitter(writer, { windowMs: 5, maxBatch: 100 });
    const results = await Promise.allSettled([
      ...Array.from({ length: 5 }, (_, n) => committer.enqueue(item(n))),
      committer.enqueue({ ...item(9), tenant: 'globex' }),
    ]);
    const codes = results.map((r) => (r.status === 'fulfilled' ? 'stored' : (r.reason as { code?: string }).code));
    assert.deepEqual(codes, ['stored', 'stored', 'stored', 'TENANT_BACKLOG_FULL', 'TENANT_BACKLOG_FULL', 'stored']);
    assert.deepEqual(committer.stats, { commits: 1, items: 4 }, 'a refusal does not split the batch into one commit per delivery');
    assert.equal((await reader.list({ tenant: 'acme', limit: 10 })).length, 3);
    assert.equal((await reader.list({ tenant: 'globex', limit: 10 })).length, 1);
    await committer.close();
  }, 3));

test('close commits what is collected, then refuses new deliveries', () =>
  withQueues(async (writer, reader) => {
    const committer = new GroupCommitter(writer, { windowMs: 60_000, maxBatch: 1000 });
    const pending = committer.enqueue(item(1));
    await committer.close();
    const id = await pending;
    assert.ok(await reader.get('acme', id));
    await assert.rejects(committer.enqueue(item(2)), /closed/);
  }));

test('deliveries arriving while a commit waits for its sync all go into the next commit', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-group-commit-'));
  const syncs: (() => void)[] = [];
  const writer = new SqliteQueue(join(dir, 'airlock.db'), {
    policy: testPolicy(),
    logFile: { datasync: () => new Promise<void>((resolve) => syncs.push(resolve)), close: async () => undefined },
  });
  await writer.migrate();
  try {
    const committer = new GroupCommitter(writer, { windowMs: 0, maxBatch: 1000 });
    const first = committer.enqueue(item(0));
    while (syncs.length === 0) await new Promise((r) => setImmediate(r));
    // Twenty arrivals over twenty turns of the event loop while the first commit is not durable yet.
    const later: Promise<string>[] = [];
    for (let n = 1; n <= 20; n++) {
      later.push(committer.enqueue(item(n)));
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(committer.stats, { commits: 1, items: 0 }, 'nothing else commits before the first is durable');
    syncs[0]!();
    await first;
    while (syncs.length < 2) await new Promise((r) => setImmediate(r));
    syncs[1]!();
    assert.equal((await Promise.all(later)).length, 20);
    assert.deepEqual(committer.stats, { commits: 2, items: 21 }, 'the twenty shared one commit');
    await committer.close();
  } finally {
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  }
});
