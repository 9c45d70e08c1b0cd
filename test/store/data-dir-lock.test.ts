// One server per data dir: the lock refuses a second holder, in this process or another, names
// the holder's pid, and is free again once the holder releases it or dies (kill -9 included).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AirlockError } from '../../src/core/errors.js';
import { lockDataDir } from '../../src/store/sqlite/data-dir-lock.js';

const work = mkdtempSync(join(tmpdir(), 'airlock-lock-'));
after(() => rmSync(work, { recursive: true, force: true }));
const lockModule = fileURLToPath(new URL('../../src/store/sqlite/data-dir-lock.js', import.meta.url));

function refusal(dir: string): AirlockError {
  try {
    lockDataDir(dir).release();
  } catch (err) {
    assert.ok(err instanceof AirlockError, String(err));
    return err;
  }
  return assert.fail('the data dir was locked twice');
}

describe('data dir lock', () => {
  it('refuses a second holder in the same process until the first releases it', () => {
    const dir = mkdtempSync(join(work, 'same-'));
    const first = lockDataDir(dir);
    const err = refusal(dir);
    assert.equal(err.code, 'DATA_DIR_IN_USE');
    assert.equal(
      err.message,
      `another Airlock server (pid ${process.pid}) is using the data dir ${dir}; stop it first, or give this server a data dir of its own with AIRLOCK_DATA_DIR (or --data-dir)`,
    );
    first.release();
    first.release(); // idempotent
    lockDataDir(dir).release();
  });

  it('refuses while another process holds it, and is free once that process is killed', async () => {
    const dir = mkdtempSync(join(work, 'other-'));
    const holder = spawn(
      process.execPath,
      ['--input-type=module', '-e', `const { lockDataDir } = await import(${JSON.stringify(lockModule)}); lockDataDir(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const gone = new Promise((resolve) => holder.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`the holder exited with ${code} before locking`)));
      });
      assert.match(refusal(dir).message, new RegExp(`^another Airlock server \\(pid ${holder.pid}\\) is using the data dir`));
    } finally {
      holder.kill('SIGKILL');
      await gone;
    }
    lockDataDir(dir).release(); // the kernel dropped the dead holder's lock
  });
});
