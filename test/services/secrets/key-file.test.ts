// The master key: generated once into <dataDir>/secret.key with mode 0600, reused on restart,
// refused when group/others can read it; AIRLOCK_SECRET_KEY accepted as hex or base64 only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../../src/core/config.js';
import { isAirlockError } from '../../../src/core/errors.js';
import { ensureSecretKey, readSecretKey, SECRET_KEY_FILE } from '../../../src/services/secrets/key-file.js';

describe('secrets master key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a 32-byte key file with mode 0600 on first start and reuses it after', () => {
    const dataDir = join(dir, 'data');
    const first = ensureSecretKey(dataDir, undefined);
    assert.equal(first.generated, true);
    assert.equal(first.key.length, 32);
    const path = join(dataDir, SECRET_KEY_FILE);
    assert.equal(first.path, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64').equals(first.key), true);

    const again = ensureSecretKey(dataDir, undefined);
    assert.equal(again.generated, false);
    assert.equal(again.key.equals(first.key), true);
  });

  it('refuses AIRLOCK_SECRET_KEY_PREVIOUS holding the current key (a rotation with no new key), from the file or the environment', () => {
    const current = ensureSecretKey(dir, undefined).key;
    const other = randomBytes(32);
    const refused = (where: RegExp) => (err: unknown) =>
      isAirlockError(err) && err.code === 'CONFIG_INVALID' && /^AIRLOCK_SECRET_KEY_PREVIOUS holds the current secrets master key/.test(err.message) && where.test(err.message);
    assert.throws(() => readSecretKey(dir, undefined, [other, current]), refused(/the key file .*secret\.key/));
    assert.throws(() => readSecretKey(dir, other, [other]), refused(/\(AIRLOCK_SECRET_KEY\)/));
    // A real rotation: the new key given, the old one as previous.
    assert.ok(readSecretKey(dir, other, [current])?.key.equals(other));
    assert.ok(readSecretKey(dir, undefined, [other])?.key.equals(current));
  });

  it('refuses a key file readable by group or others, and says how to fix it', () => {
    const first = ensureSecretKey(dir, undefined);
    for (const mode of [0o644, 0o640, 0o604]) {
      chmodSync(first.path!, mode);
      assert.throws(() => ensureSecretKey(dir, undefined), (err: unknown) => {
        assert.ok(isAirlockError(err));
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.ok(err.message.includes(`chmod 600 ${first.path}`), err.message);
        assert.equal(err.message.includes(first.key.toString('base64')), false, 'the key is not echoed');
        return true;
      });
    }
    chmodSync(first.path!, 0o600);
    assert.equal(ensureSecretKey(dir, undefined).key.equals(first.key), true);
  });

  it('refuses a key file that does not hold a 32-byte key', () => {
    writeFileSync(join(dir, SECRET_KEY_FILE), 'too short\n', { mode: 0o600 });
    assert.throws(() => ensureSecretKey(dir, undefined), /openssl rand -base64 32/);
  });

  it('uses the configured key and then writes no key file', () => {
    const key = randomBytes(32);
    const got = ensureSecretKey(dir, key);
    assert.equal(got.from, 'env');
    assert.equal(got.key.equals(key), true);
    assert.equal(existsSync(join(dir, SECRET_KEY_FILE)), false);
  });

  it('reads AIRLOCK_SECRET_KEY as hex, base64 or base64url', () => {
    const key = randomBytes(32);
    const forms = [
      key.toString('hex'),
      key.toString('hex').toUpperCase(),
      key.toString('base64'),
      key.toString('base64url'),
      ` ${key.toString('base64')}\n`,
    ];
    for (const raw of forms) {
      const config = loadConfig({ AIRLOCK_SECRET_KEY: raw });
      assert.equal(config.secrets.key?.equals(key), true, raw);
    }
    assert.equal(loadConfig({}).secrets.key, undefined);
  });

  it('refuses any other AIRLOCK_SECRET_KEY with CONFIG_INVALID saying how to make a key', () => {
    const bad = [
      'hunter2',
      randomBytes(16).toString('base64'),
      randomBytes(31).toString('hex'),
      randomBytes(33).toString('base64'),
      randomBytes(32).toString('hex').slice(0, 63) + 'g',
    ];
    for (const raw of bad) {
      assert.throws(() => loadConfig({ AIRLOCK_SECRET_KEY: raw }), (err: unknown) => {
        assert.ok(isAirlockError(err));
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, /AIRLOCK_SECRET_KEY/);
        assert.match(err.message, /openssl rand -base64 32/);
        assert.equal(err.message.includes(raw), false, 'the rejected key is not echoed');
        return true;
      });
    }
  });

  it('reads AIRLOCK_SECRET_KEY_PREVIOUS as a comma-separated list and names a bad entry', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const config = loadConfig({ AIRLOCK_SECRET_KEY_PREVIOUS: `${a.toString('base64')}, ${b.toString('hex')}` });
    assert.deepEqual(config.secrets.previousKeys.map((k) => k.toString('hex')), [a.toString('hex'), b.toString('hex')]);
    assert.deepEqual(loadConfig({}).secrets.previousKeys, []);
    assert.throws(() => loadConfig({ AIRLOCK_SECRET_KEY_PREVIOUS: `${a.toString('base64')},nope` }), /AIRLOCK_SECRET_KEY_PREVIOUS \(entry 2\)/);
  });

  it('reads the secrets limits', () => {
    const c = loadConfig({ AIRLOCK_SECRET_MAX_BYTES: '100', AIRLOCK_SECRET_MAX_HOSTS: '3', AIRLOCK_SECRETS_PER_TENANT: '7' });
    assert.deepEqual([c.secrets.maxValueBytes, c.secrets.maxHosts, c.secrets.maxPerTenant], [100, 3, 7]);
    assert.deepEqual([loadConfig({}).secrets.maxValueBytes, loadConfig({}).secrets.maxHosts], [8192, 16]);
  });
});
