// A real server whose data dir is on a small tmpfs that fills up: the server runs in a mount
// namespace of its own (unshare), so the tmpfs is private to it and vanishes with it; the test
// fills and frees that disk through /proc/<pid>/root. While the disk is full, a webhook delivery
// is refused with 507 STORAGE_FULL and Retry-After (nothing stored), not a 500, and the log says
// which disk once instead of a stack per request; once space returns the server takes writes
// again without a restart, and every delivery that got a 202 is processed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, startServerProcess } from '../support/process.js';
import type { ServerProcess } from '../support/process.js';
import { FAST_JOBS } from '../api/jobs-support.js';

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['--mount', 'true']).status === 0;

/** Writes zeros to `file` until the disk is full (ENOSPC); at most `maxMiB` MiB. */
function fillDisk(file: string, maxMiB: number): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1 << 20);
  try {
    for (let i = 0; i < maxMiB; i++) writeSync(fd, chunk);
    assert.fail(`the disk did not fill up within ${maxMiB} MiB`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

describe('a full disk under the data dir', { skip: canUnshare ? false : 'needs root and unshare --mount' }, () => {
  it('a first start on a full disk says so and leaves no empty key file; it starts once space returns', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-full-start-'));
    let server: ServerProcess | undefined;
    try {
      // In the server's own mount namespace: a full 1 MiB tmpfs on the data dir; one start on it,
      // then a listing of what it left, then the filler goes and the same command starts again.
      const script = [
        'mount -t tmpfs -o size=1m,mode=0700 airlock-full "$0" || exit 9',
        'head -c 2000000 /dev/zero > "$0/filler" 2>/dev/null',
        '"$@"; echo "first start exited $?"',
        'echo "left: $(ls -A "$0" | tr "\\n" " ")"',
        'rm "$0/filler"',
        'exec "$@"',
      ].join('\n');
      server = await startServerProcess({ AIRLOCK_DATA_DIR: dataDir }, 20_000, ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, dataDir]);
      const out = server.output();
      assert.match(out, new RegExp(`error STORAGE_FULL: cannot write the admin key file ${join(dataDir, 'admin.key')} \\(ENOSPC\\): no space left on the device`));
      assert.match(out, /first start exited 1\nleft: filler \n/, 'no empty admin.key (nor a temporary file) was left behind');
      const key = readFileSync(`/proc/${server.child.pid!}/root${dataDir}/admin.key`, 'utf8').trim();
      assert.ok(key.length >= 16, 'the second start generated a whole key');
      await apiCall(server.url, key, 'GET', '/v1/tenants/acme/functions');
    } finally {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses writes with 507 STORAGE_FULL while full, and takes them again once space returns', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-full-'));
    let server: ServerProcess | undefined;
    try {
      // The server's own mount namespace, with a 16 MiB tmpfs on the data dir.
      const prefix = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -t tmpfs -o size=16m,mode=0700 airlock-full "$0" && exec "$@"', dataDir];
      server = await startServerProcess({ ...FAST_JOBS, AIRLOCK_DATA_DIR: dataDir }, 20_000, prefix);
      const inside = `/proc/${server.child.pid!}/root${dataDir}`; // the data dir as the server sees it
      const key = readFileSync(join(inside, 'admin.key'), 'utf8').trim();
      await apiCall(server.url, key, 'PUT', '/v1/tenants/acme/functions/hook', { code: 'export default async (input) => input.body.n' });
      const { path } = await apiCall<{ path: string }>(server.url, key, 'GET', '/v1/tenants/acme/functions/hook/webhook');
      const deliver = (n: number, pad: number): Promise<Response> =>
        fetch(server!.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n, pad: 'x'.repeat(pad) }) });

      const accepted: { jobId: string; n: number }[] = [];
      fillDisk(join(inside, 'filler'), 64);
      // The database log may still have room from earlier writes: deliveries of 256 KiB use it up.
      let refused: Response | undefined;
      for (let n = 0; n < 40 && refused === undefined; n++) {
        const res = await deliver(n, 256 * 1024);
        if (res.status === 202) accepted.push({ jobId: ((await res.json()) as { jobId: string }).jobId, n });
        else refused = res;
      }
      assert.ok(refused !== undefined, 'a delivery was refused once the disk was full');
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(refused.status, 507, JSON.stringify(body));
      assert.equal(body.error.code, 'STORAGE_FULL');
      assert.match(body.error.message, /nothing of this request was stored; send it again later/);
      assert.doesNotMatch(body.error.message, new RegExp(dataDir), 'a tenant-facing answer names no server path');
      assert.equal(refused.headers.get('retry-after'), '30');
      // One more refusal is counted, not logged with a stack.
      assert.equal((await deliver(1000, 256 * 1024)).status, 507);
      // The server's output comes through a pipe: its line may arrive after the answer.
      const log = await server.waitForOutput(new RegExp(`the disk of the data dir ${dataDir} is full .*507 STORAGE_FULL`));
      assert.equal(log.split(`the disk of the data dir ${dataDir} is full (`).length - 1, 1, log);
      assert.doesNotMatch(log, /unhandled error/);

      unlinkSync(join(inside, 'filler'));
      const after = await deliver(2000, 10);
      assert.equal(after.status, 202, 'space returned: the delivery is stored, without a restart');
      accepted.push({ jobId: ((await after.json()) as { jobId: string }).jobId, n: 2000 });

      // Every delivery that got a 202 is processed.
      const deadline = Date.now() + 30_000;
      type Job = { status: string; result?: unknown };
      for (const { jobId, n } of accepted) {
        let job: Job = await apiCall<Job>(server.url, key, 'GET', `/v1/tenants/acme/jobs/${jobId}`);
        while (job.status !== 'succeeded' && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          job = await apiCall<Job>(server.url, key, 'GET', `/v1/tenants/acme/jobs/${jobId}`);
        }
        assert.deepEqual({ status: job.status, result: job.result }, { status: 'succeeded', result: n });
      }
    } finally {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
