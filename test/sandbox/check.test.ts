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

  it('gives the user-namespace hint only for bwrap errors about namespaces', async () => {
    const fake = join(dir, 'old-bwrap');
    writeFileSync(fake, '#!/bin/sh\necho "bwrap: Unknown option --disable-userns" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    await assert.rejects(makeIsolator('bwrap', { bwrapPath: fake }).check(), (err: unknown) => {
      assert.ok(err instanceof AirlockError);
      assert.equal(err.code, 'ISOLATION_UNAVAILABLE');
      assert.match(err.message, /could not create a test sandbox: bwrap: Unknown option --disable-userns/);
      assert.doesNotMatch(err.message, /unprivileged_userns_clone/);
      return true;
    });
  });

  it('names AIRLOCK_SANDBOX_NODE, not user namespaces, when it does not exist or is not executable', async () => {
    const notExecutable = join(dir, 'node-not-executable');
    writeFileSync(notExecutable, '#!/bin/sh\n');
    chmodSync(notExecutable, 0o644);
    const cases: [string, RegExp][] = [
      ['/nonexistent/node', /^AIRLOCK_SANDBOX_NODE=\/nonexistent\/node does not exist; set AIRLOCK_SANDBOX_NODE to a Node\.js 20\+ executable/],
      [notExecutable, /^AIRLOCK_SANDBOX_NODE=\S+node-not-executable is not executable \(mode 644\)/],
      [dir, /^AIRLOCK_SANDBOX_NODE=\S+ is not a file \(a directory\)/],
    ];
    for (const [nodePath, message] of cases) {
      for (const isolator of ['bwrap', 'process'] as const) {
        await assert.rejects(makeIsolator(isolator, { nodePath }).check(), (err: unknown) => {
          assert.ok(err instanceof AirlockError);
          assert.equal(err.code, 'ISOLATION_UNAVAILABLE');
          assert.match(err.message, message, `${isolator}: ${err.message}`);
          assert.doesNotMatch(err.message, /unprivileged_userns_clone/);
          return true;
        });
      }
    }
  });

  it('names AIRLOCK_SANDBOX_NODE and what it printed when it exits during boot (not a Node.js), with either isolator', async () => {
    const fake = join(dir, 'not-node');
    writeFileSync(fake, '#!/bin/sh\necho "unknown option $1" >&2\nexit 2\n');
    chmodSync(fake, 0o755);
    for (const isolator of ['bwrap', 'process'] as const) {
      await assert.rejects(makeIsolator(isolator, { nodePath: fake }).check(), (err: unknown) => {
        assert.ok(err instanceof AirlockError);
        assert.equal(err.code, 'ISOLATION_UNAVAILABLE');
        assert.match(err.message, /^AIRLOCK_SANDBOX_NODE=\S+not-node is not a Node\.js that can run the sandbox \(it exited during boot: /, isolator);
        assert.match(err.message, /its output: unknown option --max-old-space-size=64/, isolator);
        assert.match(err.message, /or unset it to use the server's own/);
        assert.doesNotMatch(err.message, /unprivileged_userns_clone/);
        return true;
      });
    }
  });

  it('fails a boot that never says ready, and leaves nothing behind', async () => {
    const fake = join(dir, 'silent-bwrap');
    writeFileSync(fake, '#!/bin/sh\nexec sleep 600\n');
    chmodSync(fake, 0o755);
    const isolator = new BwrapIsolator(sandboxConfig('bwrap', { bwrapPath: fake }), { bootTimeoutMs: 200 });
    await assert.rejects(isolator.spawn({ memoryMiB: 64 }), { code: 'SANDBOX_FAILED', message: /no ready frame within 200 ms/ });
  });
});
