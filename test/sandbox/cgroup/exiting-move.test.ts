// Moving the processes of a group (a pool sandbox bound to its tenant) while one of them is
// exiting, against the real kernel: an exiting process stays listed in its group's cgroup.procs
// until it is gone, and a write of its pid to another group succeeds without moving it. The move
// must leave it to finish, not fail: a failed bind destroys the sandbox, and the call that had just
// run a child process in it ended `killed` (seen in the red-team kernel tests under load).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runGroupOps } from '../../../src/sandbox/cgroup/ops.js';
import { exitingOrGone } from '../../../src/sandbox/procfs.js';
import { kernelFs } from '../../../src/sandbox/cgroup/fs.js';
import { skipReason, withCgroups } from './support.js';

const skip = skipReason();

/** The pids listed in a group. */
function procs(group: string): string[] {
  return readFileSync(join(group, 'cgroup.procs'), 'utf8').split('\n').filter((p) => p !== '');
}

describe('moving the processes of a group while one exits (real kernel)', { skip }, () => {
  it('leaves an exiting process where it is and moves the rest', async () => {
    await withCgroups(async ({ roots }) => {
      const from = join(roots[0]!, 'from');
      const to = join(roots[0]!, 'to');
      mkdirSync(from);
      mkdirSync(to);
      let caughtExiting = 0;
      try {
        // The window is the process's exit (a few ms for 512 MiB of touched memory): tried until seen, at most 10 times.
        for (let attempt = 0; attempt < 10 && caughtExiting === 0; attempt++) {
          const big = spawn(process.execPath, ['-e', 'const b = Buffer.alloc(512 * 1024 * 1024, 1); process.stdout.write("ready"); setInterval(() => b[0]++, 1000);'], { stdio: ['ignore', 'pipe', 'ignore'] });
          const small = spawn('sleep', ['30'], { stdio: 'ignore' });
          try {
            await new Promise<void>((resolve, reject) => {
              big.stdout.once('data', () => resolve());
              big.once('exit', () => reject(new Error('the large process exited early')));
            });
            writeFileSync(join(from, 'cgroup.procs'), String(big.pid));
            writeFileSync(join(from, 'cgroup.procs'), String(small.pid));
            big.kill('SIGKILL'); // our own child
            const deadline = Date.now() + 2_000;
            while (!exitingOrGone(big.pid!) && Date.now() < deadline);
            if (!procs(from).includes(String(big.pid))) continue; // gone already: the window was missed
            caughtExiting++;
            await runGroupOps(kernelFs, [{ op: 'moveAll', from: join(from, 'cgroup.procs'), to: join(to, 'cgroup.procs') }]);
            assert.ok(procs(to).includes(String(small.pid)), 'the live process moved');
            assert.equal(procs(from).includes(String(small.pid)), false);
          } finally {
            big.kill('SIGKILL');
            small.kill('SIGKILL'); // our own children
            await Promise.all([big, small].map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((r) => child.once('exit', r)))));
          }
        }
        assert.ok(caughtExiting > 0, 'a move ran while the large process was exiting and still listed (the case this test is about)');
      } finally {
        for (const group of [from, to]) {
          const deadline = Date.now() + 5_000;
          while (procs(group).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
          rmdirSync(group);
        }
      }
    });
  });
});
