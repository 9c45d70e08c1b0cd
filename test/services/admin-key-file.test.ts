// The admin key file in the data dir: generated once with mode 0600 and reused; a file that is
// not a regular file, that others can read, or that holds no key or too short a key stops the
// start with CONFIG_INVALID saying how to fix it, without echoing the key.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAirlockError } from '../../src/core/errors.js';
import { ensureAdminKey } from '../../src/services/keys.js';

function refused(dir: string, pattern: RegExp, secret?: string): void {
  assert.throws(() => ensureAdminKey(dir, undefined), (err: unknown) => {
    assert.ok(isAirlockError(err), String(err));
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.match(err.message, pattern);
    if (secret !== undefined) assert.equal(err.message.includes(secret), false, 'the key is not echoed');
    return true;
  });
}

describe('admin key file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-admin-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is generated once, owner-only, and reused', () => {
    const first = ensureAdminKey(dir, undefined);
    assert.equal(first.generated, true);
    assert.equal(statSync(first.path!).mode & 0o777, 0o600);
    const again = ensureAdminKey(dir, undefined);
    assert.deepEqual(again, { key: first.key, generated: false, path: first.path });
  });

  it('refuses a file group or others can read, saying how to fix it', () => {
    const first = ensureAdminKey(dir, undefined);
    chmodSync(first.path!, 0o644);
    refused(dir, new RegExp(`the admin key file ${first.path} has mode 0644: group or others can read it\\. Fix it with \`chmod 600 ${first.path}\``), first.key);
    chmodSync(first.path!, 0o600);
    assert.equal(ensureAdminKey(dir, undefined).key, first.key);
  });

  it('refuses a directory in its place, an empty file and a short key', () => {
    const path = join(dir, 'admin.key');
    mkdirSync(path);
    refused(dir, /the admin key file .*admin\.key is not a regular file; remove it or set AIRLOCK_ADMIN_KEY/);
    rmSync(path, { recursive: true });
    writeFileSync(path, '\n', { mode: 0o600 });
    refused(dir, /holds no key; the admin key needs at least 16: remove the file to have a new key generated/);
    writeFileSync(path, 'hunter2\n', { mode: 0o600 });
    refused(dir, /holds a key of 7 characters; .*openssl rand -hex 32/, 'hunter2');
  });

  it('the configured key wins and no file is written', () => {
    const key = 'k'.repeat(32);
    assert.deepEqual(ensureAdminKey(dir, key), { key, generated: false, path: undefined });
    assert.throws(() => statSync(join(dir, 'admin.key')), /ENOENT/);
  });

  it('the configured key wins over an admin.key in the data dir, which is reported as ignored', () => {
    const stored = ensureAdminKey(dir, undefined);
    const key = 'k'.repeat(32);
    assert.deepEqual(ensureAdminKey(dir, key), { key, generated: false, path: undefined, ignoredFile: stored.path });
  });
});
