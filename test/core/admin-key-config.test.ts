// AIRLOCK_ADMIN_KEY must be at least 16 characters: a shorter one stops the start with
// CONFIG_INVALID saying how to make a good one, without repeating the key.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';
import { runCli } from '../support/process.js';

describe('AIRLOCK_ADMIN_KEY', () => {
  it('is optional (a key is generated when unset)', () => {
    assert.equal(loadConfig({}).adminKey, undefined);
    assert.equal(loadConfig({ AIRLOCK_ADMIN_KEY: '' }).adminKey, undefined);
  });

  it('takes a key of 16 characters or more', () => {
    assert.equal(loadConfig({ AIRLOCK_ADMIN_KEY: 'x'.repeat(16) }).adminKey, 'x'.repeat(16));
  });

  for (const key of ['short', 'fifteen-chars!!']) {
    it(`refuses ${JSON.stringify(key)} (${key.length} characters), saying how to make a good one`, () => {
      assert.throws(
        () => loadConfig({ AIRLOCK_ADMIN_KEY: key }),
        (err) => {
          assert.ok(isAirlockError(err) && err.code === 'CONFIG_INVALID', String(err));
          assert.match(err.message, new RegExp(`^AIRLOCK_ADMIN_KEY is ${key.length} characters long; .* needs at least 16`));
          assert.match(err.message, /`openssl rand -hex 32`/);
          assert.ok(!err.message.includes(key), 'the key is not repeated');
          return true;
        },
      );
    });
  }

  describe('airlock server with AIRLOCK_ADMIN_KEY=short', () => {
    const work = mkdtempSync(join(tmpdir(), 'airlock-admin-key-'));
    after(() => rmSync(work, { recursive: true, force: true }));

    it('stops with CONFIG_INVALID before creating the data dir', async () => {
      const dataDir = join(work, 'data');
      const run = await runCli(['server'], { AIRLOCK_DATA_DIR: dataDir, AIRLOCK_PORT: '0', AIRLOCK_ADMIN_KEY: 'short' });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /^error CONFIG_INVALID: AIRLOCK_ADMIN_KEY is 5 characters long/);
      assert.equal(existsSync(dataDir), false);
    });
  });
});
