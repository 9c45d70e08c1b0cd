// Isolator start-up checks: bwrap present and able to boot a sandbox, or a clear
// ISOLATION_UNAVAILABLE error saying how to fix it; boot failures carry bwrap's stderr.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AirlockError } from '../../src/core/errors.js';
import { BwrapIsolator } from '../../src/sandbox/bwrap/isolator.js';
import { assertNoChildren, makeIsolator, sandboxConfig } from './support.js';

describe('isolator checks', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-check-'));
    chmodSync(dir, 0o755); // the fake bwrap runs as the sandbox uid when tests run as root
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    assertNoChildren();
  });

  it('passes with the real bubblewrap and for the process isolator', async () => {
    await makeIsolator('bwrap').check();
    await makeIsolator('process').check();
  });

  it('says how to install bubblewrap when it is missing', async () => {
    const isolator = makeIsolator('bwrap', { bwrapPath: '/nonexistent/bwrap' });
    for (const attempt of [isolator.check(), isolator.spawn({ memoryMiB: 64 })]) {
      await assert.rejects(attempt, (err: unknown) => {
        assert.ok(err instanceof AirlockError);
        assert.equal(err.code, 'ISOLATION_UNAVAILABLE');
        assert.match(err.message, /apt-get install -y bubblewrap/);
        assert.match(err.message, /dnf install bubblewrap/);
        return true;
      });
    }
  });

  it("reports bwrap's own error and a user-namespace hint when no sandbox boots", async () => {
    const fake = join(dir, 'bwrap');
    writeFileSync(fake, '#!/bin/sh\necho "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const isolator = makeIsolator('bwrap', { bwrapPath: fake });
    await assert.rejects(isolator.spawn({ memoryMiB: 64 }), (err: unknown) => {
      assert.ok(err instanceof AirlockError);
      assert.equal(err.code, 'SANDBOX_FAILED');
      assert.match(err.message, /No permissions to creating new namespace/);
      return true;
    });
    await assert.rejects(isolator.check(), (err: unknown) => {
      assert.ok(err instanceof AirlockError);
      assert.equal(err.code, 'ISOLATION_UNAVAILABLE');
      assert.match(err.message, /No permissions to creating new namespace/);
      assert.match(err.message, /kernel\.unprivileged_userns_clone=1/);
      assert.match(err.message, /user\.max_user_namespaces/);
      return true;
    });
  });

  it('fails a boot that never says ready, and leaves nothing behind', async () => {
    const fake = join(dir, 'silent-bwrap');
    writeFileSync(fake, '#!/bin/sh\nexec sleep 600\n');
    chmodSync(fake, 0o755);
    const isolator = new BwrapIsolator(sandboxConfig('bwrap', { bwrapPath: fake }), { bootTimeoutMs: 200 });
    await assert.rejects(isolator.spawn({ memoryMiB: 64 }), { code: 'SANDBOX_FAILED', message: /no ready frame within 200 ms/ });
  });
});
