// The resumable-sync example (examples/resumable-sync/run.mjs) end to end, as a user runs it: a
// real `airlock server` process (bwrap, SQLite) allowed to reach 127.0.0.1, and the example script
// as another process. It must finish with the right result after several slices, each page
// counted once, and say so.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startServerProcess } from '../support/process.js';
import type { ServerProcess } from '../support/process.js';

// dist/test/examples/ → the repository's examples/ (the example is plain JavaScript, not compiled).
const SCRIPT = fileURLToPath(new URL('../../../examples/resumable-sync/run.mjs', import.meta.url));

describe('examples/resumable-sync', () => {
  let dataDir: string;
  let server: ServerProcess;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'airlock-example-'));
    server = await startServerProcess({ AIRLOCK_DATA_DIR: dataDir, AIRLOCK_EGRESS_ALLOW_CIDRS: '127.0.0.1/32', AIRLOCK_JOB_POLL_MS: '50' });
  });
  after(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('pages through the fake API in several checkpointed slices and prints the right result', async () => {
    const key = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
    const env = { PATH: process.env.PATH ?? '', AIRLOCK_URL: server.url, AIRLOCK_KEY: key, PAGES: '12', PAGE_SIZE: '5', PAGE_MS: '100', MAX_RUN_MS: '500' };
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [SCRIPT], { env, timeout: 110_000 }, (err, out, errOut) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: out, stderr: errOut });
      });
    });
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /^result: \{"pages":12,"items":60,"total":1830\}$/m);
    assert.match(stdout, /^ok: every page counted exactly once across all slices$/m);
    const slices = Number(/^slices: (\d+),/m.exec(stdout)?.[1]);
    assert.ok(slices >= 2, `the sync should need several slices of 500 ms, got ${slices}:\n${stdout}`);
    for (let page = 1; page <= 12; page++) assert.match(stdout, new RegExp(`^api: page ${page}/12 requested$`, 'm'));
    // Only a page in flight at a cut is asked for again: at most one per extra slice.
    const again = stdout.match(/^api: page \d+\/12 requested again/gm)?.length ?? 0;
    assert.ok(again <= slices - 1, `${again} pages fetched again over ${slices} slices:\n${stdout}`);
    assert.match(stdout, new RegExp(`^slices: ${slices}, pages fetched again after a cut: ${again}$`, 'm'));
    assert.match(stdout, /^job: succeeded, slice \d+, failed attempts 0, last checkpoint /m);
  });
});
