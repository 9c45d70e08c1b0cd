// When a real server refuses the CLI's key (401), the CLI says which key it sent (AIRLOCK_KEY, or
// the admin key file it read, by absolute path) or that it found none and where it looked, and
// what to set; it never prints the key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../support/process.js';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in `cwd` (where its default ./.airlock is) with only PATH plus `env` set. */
function cliIn(cwd: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const WRONG_KEY = 'ak_admin_not_this_servers_key_5d1e';
const UNKNOWN = 'error UNAUTHORIZED: unknown or revoked API key';
const MISSING =
  'error UNAUTHORIZED: missing API key: send "Authorization: Bearer <key>" (the admin key is the server\'s AIRLOCK_ADMIN_KEY, or else printed on its first start and stored in <data dir>/admin.key)';

describe('which key the CLI sent, when the server refuses it', () => {
  let server: TestServer;
  let work: string;
  before(async () => {
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0' });
    work = mkdtempSync(join(tmpdir(), 'airlock-cli-keys-'));
  });
  after(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('the right key from AIRLOCK_KEY is accepted', async () => {
    const r = await cliIn(work, ['keys', 'list', 'acme'], { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey });
    assert.equal(r.code, 0, r.stderr);
  });

  it('names AIRLOCK_KEY when the key came from it', async () => {
    const r = await cliIn(work, ['keys', 'list', 'acme'], { AIRLOCK_URL: server.url, AIRLOCK_KEY: WRONG_KEY });
    assert.deepEqual(r, {
      code: 1,
      stdout: '',
      stderr: `${UNKNOWN}\nthe CLI sent the key from AIRLOCK_KEY; set it to a key of the server at ${server.url} that was not revoked\n`,
    });
  });

  it('names the admin key file, by absolute path, when the key came from AIRLOCK_DATA_DIR', async () => {
    const otherDataDir = join(work, 'other-server');
    mkdirSync(otherDataDir);
    writeFileSync(join(otherDataDir, 'admin.key'), `${WRONG_KEY}\n`);
    const r = await cliIn(work, ['keys', 'list', 'acme'], { AIRLOCK_URL: server.url, AIRLOCK_DATA_DIR: 'other-server' });
    assert.deepEqual(r, {
      code: 1,
      stdout: '',
      stderr:
        `${UNKNOWN}\nthe CLI sent the admin key read from ${otherDataDir}/admin.key; if the server at ${server.url} keeps its data ` +
        'elsewhere, set AIRLOCK_DATA_DIR to that directory (or AIRLOCK_KEY to a key); if it was started with AIRLOCK_ADMIN_KEY, ' +
        'that key replaces the file: set AIRLOCK_KEY to it\n',
    });
  });

  it('says it found no key and where it looked: ./.airlock/admin.key under the directory it ran in', async () => {
    const r = await cliIn(work, ['keys', 'list', 'acme'], { AIRLOCK_URL: server.url });
    assert.deepEqual(r, {
      code: 1,
      stdout: '',
      stderr:
        `${MISSING}\nthe CLI found no key: AIRLOCK_KEY is not set and ${work}/.airlock/admin.key cannot be read (no such file); ` +
        "set AIRLOCK_KEY to an API key, or AIRLOCK_DATA_DIR to the server's data dir (which holds admin.key)\n",
    });
  });

  it('says it found no key when the admin key file in AIRLOCK_DATA_DIR is empty', async () => {
    const emptyDataDir = join(work, 'empty-key');
    mkdirSync(emptyDataDir);
    writeFileSync(join(emptyDataDir, 'admin.key'), '\n');
    const r = await cliIn(work, ['keys', 'list', 'acme'], { AIRLOCK_URL: server.url, AIRLOCK_DATA_DIR: emptyDataDir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`\\nthe CLI found no key: AIRLOCK_KEY is not set and ${emptyDataDir}/admin\\.key cannot be read \\(it is empty\\); `));
  });
});
