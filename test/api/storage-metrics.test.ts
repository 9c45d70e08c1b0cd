// airlock_database_bytes{file}: the database's and its log's size on disk, read at each scrape, so
// an operator sees the data dir fill as execution records pile up (and sizes the retention by it).
// A real server, real SQLite: records written make the figures grow; they match the files.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('airlock_database_bytes', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AIRLOCK_RECORD_FLUSH_MS: '10' });
    await deploy(server, 'acme', 'big', "export default async () => 'x'.repeat(4000)");
  });
  after(() => server.close());

  async function scrape(): Promise<{ db: number; wal: number; pending: number }> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const value = (pattern: RegExp): number => {
      const m = pattern.exec(text);
      assert.ok(m, `${pattern} in /metrics`);
      return Number(m[1]);
    };
    return {
      db: value(/^airlock_database_bytes\{file="db"\} (\d+)$/m),
      wal: value(/^airlock_database_bytes\{file="wal"\} (\d+)$/m),
      pending: value(/^airlock_records_pending (\d+)$/m),
    };
  }

  it('says how much disk the database and its log take, growing as records are written', async () => {
    const first = await scrape();
    assert.ok(first.db > 0, JSON.stringify(first));
    assert.ok(first.db <= statSync(join(server.dataDir, 'airlock.db')).size, 'no more than the file holds (it only grows here)');
    for (let i = 0; i < 300; i++) assert.equal((await invoke(server, 'acme', 'big', i)).body.status, 'succeeded');
    let later = await scrape();
    for (const end = Date.now() + 10_000; later.pending > 0 && Date.now() < end; later = await scrape()) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(later.pending, 0, 'every record written');
    // 300 records of about 4 KB each: some 1.2 MB more, in the file or in its log (a log that starts
    // over after a checkpoint reuses its space, so the sum grows by less than that, never by nothing).
    assert.ok(later.db + later.wal >= first.db + first.wal + 300_000, `${JSON.stringify(first)} → ${JSON.stringify(later)}`);
  });
});
