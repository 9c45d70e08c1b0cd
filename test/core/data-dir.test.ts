// The data dir is created when missing (mode 0700) and refused, with a message naming it and the
// fix, when it cannot hold Airlock's files: a file in the way, or a directory this user cannot
// write (checked as an unprivileged user: root may write anywhere).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareDataDir } from '../../src/core/data-dir.js';
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
      assert.match(refusal(locked).message, /the data dir .*locked is not writable by this user \(EACCES\)/);
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
    assert.match(probe(locked), /^CONFIG_INVALID: the data dir .*locked is not writable by this user \(EACCES\)/);
    assert.match(probe(join(locked, 'sub')), /^CONFIG_INVALID: cannot create the data dir .*sub \(EACCES\)/);
  });
});
