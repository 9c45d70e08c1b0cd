// A sandbox whose program exits during boot (AIRLOCK_SANDBOX_NODE not a Node.js) on the real
// kernel: the boot fails, and no cgroup of it is left behind, whether the program was gone before
// its placement (which then fails) or only after it (the placed group is removed with it).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AirlockError } from '../../../src/core/errors.js';
import { childrenOf } from '../support.js';
import { skipReason, withCgroups } from './support.js';

const skip = skipReason();

/** Child groups (directories) of a group directory, but the running server's mark on its root (root-owner.ts). */
function childGroups(dir: string): string[] {
  return readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory() && !name.startsWith('_server-'));
}

describe('cgroups of a sandbox that fails to boot (real kernel)', { skip }, () => {
  let dir: string;
  let notNode: string;
  let placedThenExits: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-boot-fail-'));
    chmodSync(dir, 0o755); // run as the sandbox uid when tests run as root
    notNode = join(dir, 'not-node');
    writeFileSync(notNode, '#!/bin/sh\necho "unknown option $1" >&2\nexit 2\n');
    chmodSync(notNode, 0o755);
    // Exits only once it sees itself in its sandbox group (the cpu accounting group is the last
    // one its placement writes), so the placement is done by then and races the exit.
    placedThenExits = join(dir, 'placed-then-exits');
    writeFileSync(
      placedThenExits,
      "#!/bin/sh\nwhile ! grep -Eq '^[0-9]+:(cpuacct|cpu,cpuacct|cpuacct,cpu|):.*sb-' /proc/self/cgroup; do :; done\n" +
        'echo "not node either" >&2\nexit 2\n',
    );
    chmodSync(placedThenExits, 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Each program is written in before(): named here by a getter.
  for (const [when, program] of [
    ['before its placement', () => notNode],
    ['once placed', () => placedThenExits],
  ] as const) {
    it(`removes the group of a program that exits ${when}, blank or under a tenant`, async () => {
      await withCgroups(
        async ({ tracker, roots }) => {
          for (let i = 0; i < 6; i++) {
            const tenant = i % 2 === 0 ? undefined : 'acme';
            await assert.rejects(tracker.spawn(64, tenant === undefined ? {} : { tenant }), (err: unknown) => {
              assert.ok(err instanceof AirlockError);
              assert.equal(err.code, 'SANDBOX_FAILED');
              assert.match(err.message, /exited during boot/);
              return true;
            });
            // At once: a failed boot is reported only after its group is gone.
            for (const root of roots) {
              assert.deepEqual(childGroups(join(root, '_pool')), [], `${root}/_pool holds no sandbox group`);
              assert.deepEqual(childGroups(root), ['_pool'], `${root} holds no tenant group`);
            }
          }
          assert.deepEqual(childrenOf(process.pid), [], 'no sandbox process survived');
        },
        { sandbox: { nodePath: program() } },
      );
    });
  }
});
