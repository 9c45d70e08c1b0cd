// `airlock doctor` as a real process, and the server's refusal to start when a required layer is
// missing: both come from the same attestation of a real test sandbox. The doctor also makes the
// server's start checks, what the data dir holds included (its database and key files).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { cgroupStatus, createCgroupManager } from '../../src/sandbox/cgroup/index.js';
import { readProcStat } from '../../src/sandbox/procfs.js';
import { applyMigrations } from '../../src/store/sqlite/migrate.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { cgroupConfig, skipReason } from '../sandbox/cgroup/support.js';
import { runCli, startServerProcess } from '../support/process.js';

describe('airlock doctor', () => {
  it('prints every layer as ok on this machine and exits 0 when the required ones are in force', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'airlock-doctor-ok-')), 'data');
    const res = await runCli(['doctor'], { AIRLOCK_REQUIRED_LAYERS: 'namespaces,unprivileged-uid', AIRLOCK_DATA_DIR: dataDir, AIRLOCK_PORT: '19611' });
    rmSync(dirname(dataDir), { recursive: true, force: true });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /^data dir\s+ok\s+\S+ can hold the server's files \(missing now: the server creates it, mode 700\)$/m);
    assert.match(res.stdout, /^listen\s+ok\s+127\.0\.0\.1:19611 is free to listen on$/m);
    assert.match(res.stdout, /every required layer is in force and the start checks pass: the server will start/);
    assert.match(res.stdout, /^namespaces\s+yes\s+ok\s+bubblewrap/m);
    assert.match(res.stdout, /^unprivileged-uid\s+yes\s+ok\s+/m);
    assert.match(res.stdout, /^seccomp\s+no\s+/m);
    assert.match(res.stdout, /every required layer is in force/);
  });

  it('exits 1 and says what is missing and why when a required layer is not available', async () => {
    const res = await runCli(['doctor'], { AIRLOCK_ISOLATION: 'process', AIRLOCK_REQUIRED_LAYERS: 'namespaces' });
    assert.equal(res.code, 1);
    assert.match(res.stdout, /^namespaces\s+yes\s+missing\s+AIRLOCK_ISOLATION=process/m);
    assert.match(res.stdout, /missing required layer\(s\): namespaces: the server will refuse to start/);
  });

  it('--json gives the same report as data', async () => {
    const res = await runCli(['doctor', '--json'], { AIRLOCK_BWRAP: '/nonexistent/bwrap', AIRLOCK_REQUIRED_LAYERS: 'namespaces' });
    assert.equal(res.code, 1);
    const report = JSON.parse(res.stdout) as { checkError: string; missing: { layer: string }[] };
    assert.match(report.checkError, /apt-get install -y bubblewrap/);
    assert.deepEqual(report.missing.map((l) => l.layer), ['namespaces']);
  });
});

/** Removes a cgroup directory and the groups below it (cgroupfs removes their files itself). */
function removeGroupTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeGroupTree(join(dir, entry.name));
  rmdirSync(dir);
}

describe('airlock doctor with a sandbox node that is not Node.js', () => {
  let dir: string;
  let notNode: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-doctor-'));
    chmodSync(dir, 0o755); // the sandbox runs as an unprivileged uid
    notNode = join(dir, 'not-node');
    writeFileSync(notNode, '#!/bin/sh\necho "unknown option $1" >&2\nexit 2\n');
    chmodSync(notNode, 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names AIRLOCK_SANDBOX_NODE once, without the user-namespace hint', async () => {
    const res = await runCli(['doctor'], { AIRLOCK_SANDBOX_NODE: notNode, AIRLOCK_CGROUPS: 'off', AIRLOCK_REQUIRED_LAYERS: 'namespaces' });
    assert.equal(res.code, 1, res.stdout + res.stderr);
    assert.match(res.stdout, /^namespaces\s+yes\s+missing\s+no test sandbox started \(the reason is below\)$/m);
    const reasons = res.stdout.match(/the test sandbox did not start: AIRLOCK_SANDBOX_NODE=\S+ is not a Node\.js that can run the sandbox \(it exited during boot: its output: unknown option --max-old-space-size=64/g);
    assert.equal(reasons?.length, 1, res.stdout);
    assert.doesNotMatch(res.stdout, /unprivileged_userns_clone/);
  });

  it('leaves no cgroup behind when its test sandbox fails to boot', { skip: skipReason() }, async () => {
    const config = cgroupConfig();
    const res = await runCli(['doctor'], { AIRLOCK_SANDBOX_NODE: notNode, AIRLOCK_CGROUPS: 'on', AIRLOCK_CGROUP_ROOT: config.root });
    assert.equal(res.code, 1, res.stdout + res.stderr);
    assert.match(res.stdout, /exited during boot/);
    // The doctor's root is `<root>-doctor-<pid>` beside where a server's root would be.
    const manager = createCgroupManager(config)!;
    const parents = manager.describe().split(', ').map((root) => dirname(root));
    await manager.close();
    const left = parents.flatMap((parent) =>
      readdirSync(parent).filter((name) => name.startsWith(`${config.root}-doctor-`)).map((name) => join(parent, name)),
    );
    for (const group of left) removeGroupTree(group); // so a failure leaves nothing behind either
    assert.deepEqual(left, [], 'no doctor group left');
    for (const parent of parents) assert.equal(existsSync(join(parent, basename(config.root))), false);
  });
});

describe('airlock doctor runs the start checks of the server', () => {
  it('exits 1 when the data dir is a file or the port is in use, as the server would refuse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-doctor-checks-'));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port: 19612 }, resolve));
    try {
      writeFileSync(join(dir, 'file'), '');
      const env = { AIRLOCK_REQUIRED_LAYERS: 'none', AIRLOCK_CGROUPS: 'off' };
      const notADir = await runCli(['doctor'], { ...env, AIRLOCK_DATA_DIR: join(dir, 'file'), AIRLOCK_PORT: '19613' });
      assert.equal(notADir.code, 1, notADir.stdout + notADir.stderr);
      assert.match(notADir.stdout, /^data dir\s+failed\s+the data dir \S+file is not a directory/m);
      assert.match(notADir.stdout, /^failed start check\(s\): data dir: the server will refuse to start$/m);
      const inUse = await runCli(['doctor', '--json'], { ...env, AIRLOCK_DATA_DIR: join(dir, 'data'), AIRLOCK_PORT: '19612' });
      assert.equal(inUse.code, 1, inUse.stdout + inUse.stderr);
      const report = JSON.parse(inUse.stdout) as { startChecks: { check: string; ok: boolean; detail: string }[] };
      assert.deepEqual(report.startChecks.map((c) => [c.check, c.ok]), [['data dir', true], ['database', true], ['key files', true], ['listen', false]]);
      assert.match(report.startChecks[3]!.detail, /port 19612 on 127\.0\.0\.1 is already in use/);
      assert.equal(existsSync(join(dir, 'data')), false, 'the doctor removed the data dir it created for the check');
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('airlock doctor and a cgroup root a running server uses', () => {
  it('fails the cgroup root start check, as the server would refuse, naming the pid of that server', { skip: skipReason() }, async () => {
    const config = cgroupConfig();
    // A server's mark in every hierarchy's root, naming a live process this test starts (and ends).
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    await new Promise((resolve) => other.once('spawn', resolve));
    const roots = cgroupStatus(config).groups!;
    const startTime = readProcStat(other.pid!)!.startTime;
    const made: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'airlock-doctor-root-'));
    try {
      for (const root of roots) {
        if (!existsSync(root)) {
          mkdirSync(root);
          made.push(root);
        }
        mkdirSync(join(root, `_server-${other.pid}-${startTime}`));
      }
      const env = { AIRLOCK_CGROUPS: 'on', AIRLOCK_CGROUP_ROOT: config.root, AIRLOCK_REQUIRED_LAYERS: 'namespaces', AIRLOCK_DATA_DIR: join(dir, 'data'), AIRLOCK_PORT: '19615' };
      const res = await runCli(['doctor', '--json'], env);
      assert.equal(res.code, 1, res.stdout + res.stderr);
      const report = JSON.parse(res.stdout) as { startChecks: { check: string; ok: boolean; detail: string }[] };
      const check = report.startChecks.find((c) => c.check === 'cgroup root');
      assert.equal(check?.ok, false, JSON.stringify(report.startChecks));
      const expected = `AIRLOCK_CGROUP_ROOT=${config.root} is in use by another Airlock server on this host (pid ${other.pid})`;
      assert.ok(check!.detail.startsWith(expected), check!.detail);
      // Once that server is gone, the check passes.
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
      const after = JSON.parse((await runCli(['doctor', '--json'], env)).stdout) as { startChecks: { check: string; ok: boolean }[] };
      assert.equal(after.startChecks.find((c) => c.check === 'cgroup root')?.ok, true);
    } finally {
      if (other.exitCode === null && other.signalCode === null) other.kill('SIGKILL');
      for (const root of roots) if (existsSync(join(root, `_server-${other.pid}-${startTime}`))) rmdirSync(join(root, `_server-${other.pid}-${startTime}`));
      for (const root of made) rmdirSync(root);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('airlock doctor reads what the data dir holds, as the start would', () => {
  let dir: string;
  const env = { AIRLOCK_REQUIRED_LAYERS: 'none', AIRLOCK_CGROUPS: 'off', AIRLOCK_PORT: '19614' };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-doctor-data-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A data dir whose database records migrations 1..version, with an owner-only secret.key. */
  function dataDirAt(name: string, version: number): string {
    const dataDir = join(dir, name);
    mkdirSync(dataDir, { mode: 0o700 });
    const db = new Database(join(dataDir, 'airlock.db'));
    db.exec('CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (let v = 1; v <= version; v++) db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(v, `m${v}`);
    db.close();
    writeFileSync(join(dataDir, 'secret.key'), `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    return dataDir;
  }

  async function doctor(dataDir: string): Promise<{ code: number; checks: Record<string, { ok: boolean; detail: string }> }> {
    const res = await runCli(['doctor', '--json'], { ...env, AIRLOCK_DATA_DIR: dataDir });
    const report = JSON.parse(res.stdout) as { startChecks: { check: string; ok: boolean; detail: string }[] };
    return { code: res.code, checks: Object.fromEntries(report.startChecks.map((c) => [c.check, c])) };
  }

  it('refuses a database a newer Airlock wrote, as the start does', async () => {
    const { code, checks } = await doctor(dataDirAt('newer', MIGRATIONS.length + 1));
    assert.equal(code, 1);
    assert.equal(checks.database?.ok, false);
    assert.match(checks.database!.detail, new RegExp(`schema version ${MIGRATIONS.length + 1} but this Airlock only knows ${MIGRATIONS.length}; it was written by a newer Airlock`));
  });

  it('says which migrations an older database gets at the next start, and passes', async () => {
    const { code, checks } = await doctor(dataDirAt('older', 3));
    assert.equal(code, 0, JSON.stringify(checks));
    assert.match(checks.database!.detail, new RegExp(`is at schema version 3: the server upgrades it to ${MIGRATIONS.length} when it starts`));
    assert.match(checks['key files']!.detail, /secret\.key is usable; no admin key yet/);
  });

  it('refuses a missing secrets key while the database holds values sealed with one (a restore without secret.key)', async () => {
    const dataDir = join(dir, 'lost-key');
    mkdirSync(dataDir, { mode: 0o700 });
    const db = new Database(join(dataDir, 'airlock.db'));
    applyMigrations(db, MIGRATIONS);
    // A sealed value's first byte is the id of the key that sealed it (85 here).
    db.prepare('INSERT INTO secrets (tenant, name, hosts, sealed, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)').run('acme', 'tok', '[]', Buffer.from([85, 1, 2, 3]));
    db.close();
    const { code, checks } = await doctor(dataDir);
    assert.equal(code, 1);
    assert.equal(checks.database?.ok, true);
    assert.equal(checks['key files']?.ok, false);
    assert.match(checks['key files']!.detail, /^no secrets master key: AIRLOCK_SECRET_KEY is unset and \S+secret\.key does not exist, but the database holds 1 secret under key id 85/);
    assert.deepEqual(readdirSync(dataDir).sort(), ['airlock.db'], 'no key was made, nothing written');
  });

  it('refuses an emptied and a damaged database, and a key file others can read', async () => {
    const emptied = dataDirAt('emptied', 2);
    writeFileSync(join(emptied, 'airlock.db'), '');
    const res = await doctor(emptied);
    assert.equal(res.code, 1);
    assert.match(res.checks.database!.detail, /is empty \(0 bytes\), but this data dir has been used before/);

    const damaged = dataDirAt('damaged', 2);
    writeFileSync(join(damaged, 'airlock.db'), 'not a database '.repeat(512));
    chmodSync(join(damaged, 'secret.key'), 0o644);
    const broken = await doctor(damaged);
    assert.equal(broken.code, 1);
    assert.equal(broken.checks.database?.ok, false);
    assert.match(broken.checks.database!.detail, /is damaged \(file is not a database\)/);
    assert.equal(broken.checks['key files']?.ok, false);
    assert.match(broken.checks['key files']!.detail, /secret\.key has mode 0644: group or others can read it\. Fix it with `chmod 600/);
    assert.deepEqual(readdirSync(damaged).sort(), ['airlock.db', 'secret.key'], 'the doctor wrote nothing in the data dir');
  });
});

describe('server startup attestation', () => {
  it('refuses to start when a required layer is missing, naming it and the fix', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-attest-'));
    try {
      await assert.rejects(
        startServerProcess({ AIRLOCK_DATA_DIR: dataDir, AIRLOCK_ISOLATION: 'process', AIRLOCK_REQUIRED_LAYERS: 'namespaces' }),
        (err: Error) => {
          assert.match(err.message, /exited with [1-9]/);
          assert.match(err.message, /ISOLATION_UNAVAILABLE/);
          assert.match(err.message, /namespaces: AIRLOCK_ISOLATION=process/);
          assert.match(err.message, /airlock doctor/);
          return true;
        },
      );
      // No admin key was made for a start that never served: the first start that does makes it
      // and shows it in its banner.
      assert.equal(existsSync(join(dataDir, 'admin.key')), false, 'a refused start leaves no admin key behind');
      const server = await startServerProcess({ AIRLOCK_DATA_DIR: dataDir, AIRLOCK_ISOLATION: 'process', AIRLOCK_REQUIRED_LAYERS: 'none', AIRLOCK_POOL_SIZE: '0' });
      try {
        const key = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
        assert.ok(server.output().includes(`admin key: ${key}   (new; saved to ${join(dataDir, 'admin.key')})`), server.output());
      } finally {
        assert.equal(await server.stop(), 0);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
