// The data dir is created when missing (mode 0700) and refused, with a message naming it, the
// errno and the fix, when it cannot hold Airlock's files: a file in the way, a symbolic link to
// nowhere (named with its target), a directory this user
// cannot write (checked as an unprivileged user: root may write anywhere), a path below /proc
// (where Node's recursive mkdir spins forever), a kernel directory root may not write (/sys, where
// access() says yes), and a read-only mount (made inside a mount namespace of a child process).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataDirReason, prepareDataDir } from '../../src/core/data-dir.js';
import { AirlockError } from '../../src/core/errors.js';

const work = mkdtempSync(join(tmpdir(), 'airlock-datadir-'));
after(() => rmSync(work, { recursive: true, force: true }));

function refusal(dir: string): AirlockError {
  try {
    prepareDataDir(dir);
  } catch (err) {
    assert.ok(err instanceof AirlockError, String(err));
    return err;
  }
  return assert.fail(`${dir} was accepted`);
}

describe('prepareDataDir', () => {
  it('creates a missing data dir, parents included, readable by its owner only', () => {
    const dir = join(work, 'fresh', 'deeper', '.airlock');
    prepareDataDir(dir);
    const st = statSync(dir);
    assert.ok(st.isDirectory());
    assert.equal(st.mode & 0o777, 0o700);
    prepareDataDir(dir); // an existing one is fine
  });

  it('names a symbolic link to nowhere and its target, at the data dir or just above it', () => {
    const link = join(work, 'dangling');
    const target = join(work, 'never-made', 'x');
    symlinkSync(target, link);
    for (const dir of [link, join(link, 'sub')]) {
      const err = refusal(dir);
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.match(err.message, new RegExp(`^cannot create the data dir ${dir}: ${link} is a symbolic link to ${target}, which does not exist; create ${target}, or remove the link`));
    }
  });

  it('refuses a file in the way, naming the dir and the fix', () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'x');
    for (const dir of [file, join(file, 'below')]) {
      const err = refusal(dir);
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.match(err.message, new RegExp(`the data dir ${dir} is not a directory`));
      assert.match(err.message, /point AIRLOCK_DATA_DIR \(or --data-dir\) at a directory the server can write/);
    }
  });

  it('refuses a directory this user cannot write or create', (t) => {
    const locked = join(work, 'locked');
    mkdirSync(locked, { mode: 0o755 });
    chmodSync(locked, 0o555);
    if (process.getuid?.() !== 0) {
      assert.match(refusal(locked).message, /the data dir .*locked is not writable \(EACCES\): this user \(uid \d+\) may not create files in/);
      assert.match(refusal(join(locked, 'sub')).message, /cannot create the data dir .*sub \(EACCES\)/);
      return;
    }
    // As root, check from uid 65534 with copies of the two modules it may read.
    const mods = join(work, 'mods');
    mkdirSync(mods, { mode: 0o755 });
    chmodSync(work, 0o755);
    writeFileSync(join(mods, 'package.json'), '{"type":"module"}');
    for (const name of ['data-dir.js', 'errors.js']) {
      copyFileSync(fileURLToPath(new URL(`../../src/core/${name}`, import.meta.url)), join(mods, name));
    }
    const probe = (dir: string): string =>
      execFileSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e',
          `const { prepareDataDir } = await import(${JSON.stringify(join(mods, 'data-dir.js'))});
           try { prepareDataDir(${JSON.stringify(dir)}); console.log('accepted'); } catch (e) { console.log(e.code + ': ' + e.message); }`],
        { encoding: 'utf8', env: {} },
      );
    t.diagnostic('checked as uid 65534');
    assert.match(probe(locked), /^CONFIG_INVALID: the data dir .*locked is not writable \(EACCES\): this user \(uid 65534\) may not create files in/);
    assert.match(probe(join(locked, 'sub')), /^CONFIG_INVALID: cannot create the data dir .*sub \(EACCES\)/);
  });
});

const dataDirModule = fileURLToPath(new URL('../../src/core/data-dir.js', import.meta.url));

/** Runs prepareDataDir(dir) in a child node (so a hang fails the test instead of blocking it); prints `accepted` or `CODE: message`. */
function inChild(dirs: string[], wrapper: string[] = []): string[] {
  const script = `const { prepareDataDir } = await import(${JSON.stringify(dataDirModule)});
    for (const dir of ${JSON.stringify(dirs)}) {
      try { prepareDataDir(dir); console.log('accepted'); } catch (e) { console.log(e.code + ': ' + e.message); }
    }`;
  const [file, ...args] = [...wrapper, process.execPath, '--input-type=module', '-e', script];
  const out = execFileSync(file!, args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeout: 20_000,
  });
  return out.trim().split('\n');
}

describe('prepareDataDir on file systems that refuse', () => {
  it('refuses a path below /proc at once, with the errno, instead of spinning', () => {
    const [direct, deeper] = inChild(['/proc/airlock-x', '/proc/airlock-x/data/.airlock']);
    for (const [line, dir] of [[direct, '/proc/airlock-x'], [deeper, '/proc/airlock-x/data/.airlock']] as const) {
      assert.match(line!, new RegExp(`^CONFIG_INVALID: cannot create the data dir ${dir} \\(ENOENT\\): /proc is missing or does not allow creating anything in it`));
      assert.match(line!, /point AIRLOCK_DATA_DIR \(or --data-dir\) at a directory the server can write/);
    }
  });

  it('refuses a kernel directory it may enter but not write, found by writing, not by access()', () => {
    // As root, access('/sys/kernel', W_OK) succeeds; creating a file there does not.
    const err = refusal('/sys/kernel');
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.match(err.message, /^the data dir \/sys\/kernel is not writable \((EACCES|EPERM)\): /);
    if (process.getuid?.() === 0) assert.match(err.message, /even root may not create files in \/sys\/kernel/);
    assert.deepEqual(err.details, { dataDir: '/sys/kernel', errno: err.details?.errno });
  });

  it('names a read-only file system as such, for a missing data dir and for an existing one', (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to bind-mount read-only in a mount namespace');
      return;
    }
    const ro = join(work, 'read-only');
    mkdirSync(join(ro, 'existing'), { recursive: true });
    // The bind mount exists only in the child's own mount namespace (private propagation).
    const lines = inChild([join(ro, 'a', 'b'), join(ro, 'existing')], [
      'unshare', '--mount', '--propagation', 'private',
      'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"', 'sh', ro,
    ]);
    assert.match(lines[0]!, new RegExp(`^CONFIG_INVALID: cannot create the data dir ${join(ro, 'a', 'b')} \\(EROFS\\): ${ro} is on a read-only file system`));
    assert.match(lines[1]!, new RegExp(`^CONFIG_INVALID: the data dir ${join(ro, 'existing')} is not writable \\(EROFS\\): ${join(ro, 'existing')} is on a read-only file system`));
  });

  it('words the errnos it cannot provoke here', () => {
    assert.match(dataDirReason('ENOSPC', '/data'), /no space left on the device that holds \/data/);
    assert.match(dataDirReason('EDQUOT', '/data'), /disk quota/);
    assert.match(dataDirReason('EPERM', '/data', 1000), /this user \(uid 1000\) may not create files in \/data/);
    assert.match(dataDirReason('EIO', '/data'), /the kernel refused \(EIO\)/);
  });
});
