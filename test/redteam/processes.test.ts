// Red team, processes: a tenant signals the server and every other process of the server's tree
// (only processes this test started are ever targeted), signals its own namespace's pid 1, runs
// setuid binaries, leaves a detached daemon behind that must die with its sandbox, and tries to
// raise its own CPU, IO and OOM priority above the host's.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { alive, descendants } from '../support/process.js';
import { hostPidsWithMarker, resultOf, startRedteamServer, waitFor } from './support.js';
import type { RedteamServer } from './support.js';

const SANDBOX_UID = 40123;

describe('red team: processes', () => {
  let srv: RedteamServer;
  before(async () => {
    // A sandbox uid other than 65534, the kernel's overflow uid: a setuid binary owned by host
    // root that did raise privileges would show up inside as 65534, distinct from the caller.
    srv = await startRedteamServer({ AIRLOCK_SANDBOX_UID: String(SANDBOX_UID), AIRLOCK_SANDBOX_GID: String(SANDBOX_UID) });
  });
  after(async () => {
    await srv.stop();
  });

  it("cannot signal the server, the spawner or other sandboxes (ESRCH), which all live on", async () => {
    // Targets: the server and its whole tree (spawner, pooled sandboxes), all started by this test.
    const targets = [srv.pid, ...descendants(srv.pid)].filter((p) => p > 1);
    assert.ok(targets.length >= 3, `server tree ${JSON.stringify(targets)}`);
    const answer = await srv.attack(
      'kill-host',
      `export default async (input) => {
        const out = {};
        for (const pid of input.targets) {
          try { process.kill(pid, 'SIGKILL'); out[pid] = 'SENT'; } catch (e) { out[pid] = e.code; }
        }
        try { process.kill(-input.server, 'SIGKILL'); out.group = 'SENT'; } catch (e) { out.group = e.code; }
        return out;
      };`,
      { input: { targets, server: srv.pid } },
    );
    const r = resultOf<Record<string, string>>(answer);
    srv.assertNoCanary(answer);
    for (const [pid, outcome] of Object.entries(r)) assert.equal(outcome, 'ESRCH', `kill ${pid}`);
    for (const pid of targets) assert.ok(alive(pid), `host process ${pid} survived`);
    assert.equal(await srv.healthy(), true);
  });

  it('signals to pid 1 of its own namespace have no effect; the next call reuses the sandbox', async () => {
    const answer = await srv.attack(
      'signal-pid1',
      `import { spawnSync } from 'node:child_process';
      export default async () => {
        const out = { self: process.pid };
        if (process.pid !== 1) return out; // not in its own pid namespace: never signal a real pid 1
        for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGKILL', 'SIGSTOP']) {
          try { process.kill(1, sig); out[sig] = 'SENT'; } catch (e) { out[sig] = e.code; }
        }
        // From a child, pid 1 is "init": the kernel drops signals it has no handler for.
        const child = spawnSync('/bin/kill', ['-KILL', '1'], { encoding: 'utf8', timeout: 5000 });
        out.fromChild = child.status;
        await new Promise((r) => setTimeout(r, 50));
        out.stillHere = true;
        return out;
      };`,
    );
    const r = resultOf<Record<string, unknown>>(answer);
    srv.assertNoCanary(answer);
    assert.equal(r.self, 1, 'the harness is pid 1 of its namespace');
    assert.equal(r.stillHere, true);
    const again = await srv.invoke('mallory', 'signal-pid1');
    assert.equal(again.body.status, 'succeeded', JSON.stringify(again.body));
    assert.equal(again.body.start, 'warm', 'the same sandbox answered again');
  });

  it('setuid binaries gain no privilege: su, passwd and mount run with the caller\'s uids', async () => {
    // Each binary is caught while it runs: its output goes to a pipe that is already full, so it
    // blocks on its first write and its /proc status shows the uids the kernel gave it at exec.
    const answer = await srv.attack(
      'setuid',
      `import { spawn } from 'node:child_process'; import { readdirSync, readFileSync, statSync } from 'node:fs';
      const uidsOf = (name) => {
        for (const p of readdirSync('/proc').filter((e) => /^\\d+$/.test(e))) {
          try {
            const status = readFileSync('/proc/' + p + '/status', 'utf8');
            if (status.startsWith('Name:\\t' + name + '\\n')) return status.match(/^Uid:(.*)$/m)[1].trim().split(/\\s+/).map(Number);
          } catch {}
        }
        return undefined;
      };
      const caught = async (bin, args) => {
        const sh = spawn('/bin/sh', ['-c', '( head -c 65536 /dev/zero; exec "$0" "$@" ) 2>&1 | sleep 10', bin, ...args], { detached: true, stdio: 'ignore' });
        const deadline = Date.now() + 3000;
        let uids;
        while (uids === undefined && Date.now() < deadline) {
          uids = uidsOf(bin.split('/').pop());
          if (uids === undefined) await new Promise((r) => setTimeout(r, 10));
        }
        try { process.kill(-sh.pid, 'SIGKILL'); } catch {}
        return uids ?? 'NOT CAUGHT';
      };
      export default async () => ({
        self: process.getuid(),
        noNewPrivs: /^NoNewPrivs:\\s+1$/m.test(readFileSync('/proc/self/status', 'utf8')),
        setuidBit: ['/usr/bin/su', '/usr/bin/passwd', '/usr/bin/mount'].map((b) => (statSync(b).mode & 0o4000) !== 0),
        su: await caught('/usr/bin/su', ['-c', 'id -u', 'root']),
        passwd: await caught('/usr/bin/passwd', ['-d', 'root']),
        mount: await caught('/usr/bin/mount', ['-t', 'tmpfs', 'none', '/usr']),
      });`,
    );
    const r = resultOf<{ self: number; noNewPrivs: boolean; setuidBit: boolean[]; su: number[]; passwd: number[]; mount: number[] }>(answer);
    srv.assertNoCanary(answer);
    assert.equal(r.self, SANDBOX_UID);
    assert.equal(r.noNewPrivs, true);
    assert.deepEqual(r.setuidBit, [true, true, true], 'the setuid bits are there, and useless');
    // Real, effective, saved and filesystem uid all stay the caller's.
    for (const name of ['su', 'passwd', 'mount'] as const) assert.deepEqual(r[name], [r.self, r.self, r.self, r.self], name);
  });

  it('a detached daemon does not survive the sandbox being destroyed', async () => {
    const marker = `airlock-rt-daemon-${randomBytes(6).toString('hex')}`;
    // The function starts a daemon that names itself with the marker, then hangs until its
    // deadline: the timeout destroys the sandbox while the test watches the host's /proc. (The
    // daemon ends itself after a minute whatever happens, so a failure leaves nothing behind.)
    const call = srv.attack(
      'daemon',
      `import { spawn } from 'node:child_process';
      export default async (input) => {
        const child = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); process.on("SIGHUP", () => {}); setInterval(() => {}, 1000); setTimeout(() => process.exit(0), 60000)', input.marker],
          { detached: true, stdio: 'ignore' });
        child.unref();
        await new Promise(() => {});
      };`,
      { input: { marker }, limits: { timeoutMs: 3000 } },
    );
    const seen = await waitFor('the daemon on the host', () => {
      const pids = hostPidsWithMarker(marker);
      return pids.length > 0 ? pids : undefined;
    });
    assert.ok(seen.every((pid) => descendants(srv.pid).includes(pid)), 'the daemon runs inside the server tree');
    const answer = await call;
    srv.assertNoCanary(answer);
    assert.equal(answer.body.status, 'timeout', JSON.stringify(answer.body));
    await waitFor('the daemon to be gone', () => (hostPidsWithMarker(marker).length === 0 ? true : undefined), 5_000);
    // Its pid stays visible until the kernel has reaped it (a zombie has no command line): wait for that too.
    await waitFor('the daemon to be reaped', () => (seen.filter(alive).length === 0 ? true : undefined), 10_000);
  });

  // A process that raised its own priority over the host's (real-time scheduling, a negative
  // nice, real-time IO) could starve the server and every other tenant whatever its CPU quota
  // says, and one that lowered its OOM score would have the kernel kill the server first under
  // memory pressure. x86_64 syscall numbers through perl, like the kernel suite.
  it('cannot raise its own CPU, IO or OOM priority, nor its hard limits (EACCES, EPERM)', { skip: process.arch !== 'x64' && 'syscall numbers are x86_64' }, async () => {
    const answer = await srv.attack(
      'priority',
      `import { spawnSync } from 'node:child_process';
      import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
      export default async () => {
        const perl = (call) => {
          const r = spawnSync('/usr/bin/perl', ['-e', call + ' print "$r " . ($! + 0)'], { encoding: 'utf8', timeout: 5000 });
          const [ret, errno] = r.stdout.trim().split(' ').map(Number);
          return ret === -1 ? errno : 'DONE';
        };
        const out = {
          control: perl('my $r = syscall(141, 0, 0, 5);'), // a higher nice is anyone's right
          nice: perl('my $r = syscall(141, 0, 0, -10);'),
          fifo: perl('my $p = pack("i", 50); my $r = syscall(144, 0, 1, $p);'),
          roundRobin: perl('my $p = pack("i", 1); my $r = syscall(144, 0, 2, $p);'),
          realtimeIo: perl('my $r = syscall(251, 1, 0, 8192);'),
          openFilesHardLimit: perl('my $l = pack("QQ", 1048576, 1048576); my $r = syscall(160, 7, $l);'),
        };
        const fd = openSync('/proc/self/oom_score_adj', 'w');
        try { writeSync(fd, '-1000'); out.oomScore = 'LOWERED'; } catch (e) { out.oomScore = e.code; } finally { closeSync(fd); }
        out.oomScoreNow = readFileSync('/proc/self/oom_score_adj', 'utf8').trim();
        return out;
      };`,
    );
    srv.assertNoCanary(answer);
    const EPERM = 1;
    const EACCES = 13;
    assert.deepEqual(resultOf(answer), {
      control: 'DONE',
      nice: EACCES,
      fifo: EPERM,
      roundRobin: EPERM,
      realtimeIo: EPERM,
      openFilesHardLimit: EPERM,
      oomScore: 'EACCES',
      oomScoreNow: '0',
    });
  });
});

