// A job run lost with its server keeps, in its `killed` record, the egress requests it had made by
// its last heartbeat, as it keeps its log lines: the worker notes both. Real server, bwrap, SQLite
// and an HTTP server on 127.0.0.1; the lease is ended the way a server restarted on the machine ends
// a dead holder's (expireLeases: SERVER_GONE), while the run is still making requests.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/core/config.js';
import { SQLITE_FILE, openQueue } from '../../src/store/index.js';
import type { QueueStore } from '../../src/queue/port.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, getJob, submit, waitJob } from './jobs-support.js';

// One request every 50 ms for ever (until its sandbox is stopped), logging each.
const POLLER = `export default async (input, ctx) => {
  for (let i = 0; ; i++) { await (await ctx.fetch(input.url + '?i=' + i)).text(); console.log('request ' + i); await new Promise((r) => setTimeout(r, 50)); }
};`;

describe('a job run lost with its server', () => {
  let server: TestServer;
  let api: http.Server;
  let requests = 0;
  let url: string;
  before(async () => {
    api = http.createServer((_req, res) => {
      requests++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const port = (api.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}/poll`;
    // Leases of 600 ms: a heartbeat (and a note of the run so far) every 200 ms.
    server = await startTestServer({ ...FAST_JOBS, AIRLOCK_EGRESS_ALLOW_CIDRS: '127.0.0.1/32', AIRLOCK_QUEUE_LEASE_MS: '600' });
    await deploy(server, 'acme', 'poller', POLLER, { egress: { allow: [{ host: '127.0.0.1', ports: [port] }] } });
  });
  after(async () => {
    await server.close();
    await new Promise<void>((resolve) => api.close(() => resolve()));
  });

  it('keeps the egress requests noted at its last heartbeat in its killed record', async () => {
    const id = await submit(server, 'acme', 'poller', { input: { url } });
    await waitJob(server, 'acme', id, (job) => job.status === 'running');
    // Wait (polling the database file, as another server would read it) for a heartbeat's note
    // that holds at least three requests.
    const db = new Database(join(server.dataDir, SQLITE_FILE), { readonly: true });
    let noted: { egress?: { host: string; path: string; status: number }[] } = {};
    try {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const row = db.prepare('SELECT run_record FROM queue_items WHERE id = ?').get(id) as { run_record: string | null } | undefined;
        noted = row?.run_record == null ? {} : (JSON.parse(row.run_record) as typeof noted);
        if ((noted.egress?.length ?? 0) >= 3) break;
        if (Date.now() > deadline) assert.fail(`no note with three requests (the server got ${requests}): ${JSON.stringify(noted)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    } finally {
      db.close();
    }
    // Its holder is now taken for dead, as a second server sharing the database would.
    const queue: QueueStore = await openQueue(loadConfig({ AIRLOCK_DATA_DIR: server.dataDir }));
    try {
      const owner = (await queue.get('acme', id))?.leaseOwner;
      assert.ok(owner, 'the running job has a lease owner');
      assert.equal(await queue.expireLeases([owner]), 1);
    } finally {
      await queue.close();
    }
    const list = await server.request('GET', `/v1/tenants/acme/executions?job=${id}&status=killed`);
    const [lost] = list.body.executions as { error?: { type: string; message: string }; egress?: { host: string; path: string; status: number }[] }[];
    assert.equal(lost?.error?.type, 'ServerGone', JSON.stringify(list.body));
    assert.match(lost?.error?.message ?? '', /the egress requests it made after those noted at a heartbeat \(these are kept here\)/);
    assert.ok((lost?.egress?.length ?? 0) >= 3, JSON.stringify(lost?.egress));
    for (const request of lost!.egress!) assert.deepEqual([request.host, request.path, request.status], ['127.0.0.1', '/poll', 200]);
    // The slice finds its lease gone at its next heartbeat and stops.
    await waitJob(server, 'acme', id, (job) => job.status !== 'running' || job.runs > 1);
    assert.notEqual((await getJob(server, 'acme', id)).status, 'succeeded');
  });
});
