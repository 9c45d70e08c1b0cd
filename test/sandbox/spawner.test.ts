// The spawner launcher: sandboxes forked by a helper process (so the server's event loop never
// pays for fork) behave exactly like directly forked ones, leave nothing behind, and die with
// the server even when it is SIGKILLed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { processRunning } from '../../src/sandbox/procfs.js';
import { resolveExecutable } from '../../src/sandbox/executables.js';
import { createIsolator, sandboxLauncher, SpawnerLauncher } from '../../src/sandbox/index.js';
import { openFilesLimit } from '../../src/sandbox/launch/open-files.js';
import { inheritableFds } from '../../src/sandbox/fds.js';
import { Tracker, childrenOf, footprint, leftovers, request, sandboxConfig, waitFor } from './support.js';

const INDEX = fileURLToPath(new URL('../../src/sandbox/index.js', import.meta.url));
const SPAWNER_MAIN = fileURLToPath(new URL('../../src/sandbox/launch/spawner-main.js', import.meta.url));

/** The first line a stand-in server prints (the pids it started). */
function firstLine(server: ChildProcessByStdio<null, Readable, null>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    server.once('exit', (code) => reject(new Error(`stand-in server exited early (${code})`)));
  });
}

describe('spawner launcher', () => {
  after(() => assert.deepEqual(childrenOf(process.pid), [], 'no spawner or sandbox left'));

  it('runs bwrap sandboxes forked by the spawner, and closing it leaves no process', async () => {
    const launcher = new SpawnerLauncher();
    const isolator = createIsolator(sandboxConfig('bwrap'), { launcher });
    const tracker = new Tracker('bwrap', isolator);
    try {
      const sb = await tracker.spawn();
      assert.equal(childrenOf(process.pid).includes(sb.pid!), false, 'the sandbox is not our own child');
      const ok = await sb.run(request('export default async (i) => ({ twice: i * 2, pid1: process.pid })', { input: 21 }));
      assert.equal(ok.status, 'succeeded', JSON.stringify(ok));
      assert.deepEqual(ok.result, { twice: 42, pid1: 1 });
      const spin = await sb.run(request('export default () => { for (;;) {} }', { timeoutMs: 200 }));
      assert.equal(spin.status, 'timeout');
      assert.equal(sb.alive, false);
      const fresh = await tracker.spawn();
      const leak = await fresh.run(request('export default () => globalThis.leak ?? "clean"'));
      assert.equal(leak.result, 'clean');
    } finally {
      await tracker.cleanup();
      await isolator.close();
    }
  });

  it('gives every sandbox the configured open-files limit, soft and hard', async () => {
    assert.ok(resolveExecutable('prlimit'), 'prlimit (util-linux) is on PATH');
    const warnings: string[] = [];
    const launcher = sandboxLauncher(300, 4, (m) => warnings.push(m));
    // A descriptor this process inherited (some supervisors leak one, e.g. fd 251) raises it.
    const want = openFilesLimit(300, inheritableFds(), 4).limit;
    assert.equal(warnings.length, want > 300 ? 1 : 0, warnings.join('; '));
    const isolator = createIsolator(sandboxConfig('bwrap'), { launcher });
    const tracker = new Tracker('bwrap', isolator);
    try {
      const sb = await tracker.spawn();
      const out = await sb.run(
        request(
          `import { readFileSync, openSync, closeSync } from 'node:fs';
          export default async () => {
            const line = readFileSync('/proc/self/limits', 'utf8').split('\\n').find((l) => l.startsWith('Max open files'));
            const fds = [];
            let error = null;
            try { for (let i = 0; i < 10_000; i++) fds.push(openSync('/dev/null', 'r')); } catch (e) { error = e.code; }
            for (const fd of fds) closeSync(fd);
            return { limits: line.split(/\\s+/).slice(3, 5), opened: fds.length, error };
          };`,
        ),
      );
      assert.equal(out.status, 'succeeded', JSON.stringify(out));
      const r = out.result as { limits: string[]; opened: number; error: string };
      assert.deepEqual(r.limits, [String(want), String(want)], 'soft and hard limit');
      assert.equal(r.error, 'EMFILE');
      assert.ok(r.opened < want && r.opened > want - 100, `${r.opened} opened`);
    } finally {
      await tracker.cleanup();
      await isolator.close();
    }
  });

  it('starts a whole budget of sandboxes at once under the smallest open-files setting', async () => {
    // The spawner shares the sandboxes' limit; with too little room it failed (EMFILE) or crashed.
    const launcher = sandboxLauncher(64, 16, () => {});
    const isolator = createIsolator(sandboxConfig('bwrap'), { launcher });
    const tracker = new Tracker('bwrap', isolator);
    try {
      const sandboxes = await Promise.all(Array.from({ length: 16 }, () => tracker.spawn()));
      assert.equal(sandboxes.filter((sb) => sb.alive).length, 16);
      const out = await sandboxes[15]!.run(request('export default async () => "ok"'));
      assert.equal(out.result, 'ok');
    } finally {
      await tracker.cleanup();
      await isolator.close();
    }
  });

  it('raises the open-files limit for what the spawner needs, never lowers it', () => {
    assert.deepEqual(openFilesLimit(1024, [], 64), { limit: 1024 });
    assert.deepEqual(openFilesLimit(1024, [5, 251], 64), { limit: 1024 });
    // The spawner shares the limit: ~10 descriptors per sandbox it may start at once, plus 64.
    const budget = openFilesLimit(256, [], 64);
    assert.equal(budget.limit, 704);
    assert.match(budget.raisedBecause ?? '', /AIRLOCK_MAX_SANDBOXES=64/);
    // A stray inherited descriptor must fit under the limit with room above it.
    const stray = openFilesLimit(200, [5, 251], 4);
    assert.equal(stray.limit, 316);
    assert.match(stray.raisedBecause ?? '', /file descriptor 251/);
  });

  it('reports a binary that cannot be started as SANDBOX_FAILED', async () => {
    const launcher = new SpawnerLauncher();
    try {
      await assert.rejects(
        launcher.launch({ file: '/nonexistent/airlock-binary', args: [], cwd: '/', pipes: 4, inputs: [], collect: [] }),
        (err: Error & { code?: string }) => err.code === 'SANDBOX_FAILED' && /could not be started/.test(err.message),
      );
    } finally {
      await launcher.close();
    }
  });

  it('settles the launch of a process that exits at once, before its sockets are handed over', async () => {
    // `nice` starts (the spawn succeeds) and exits at once when it cannot run its program, as a
    // blank-pool refill does while bwrap is missing (removed, or replaced by an upgrade). Its
    // sockets close while the first ones are still being handed over (one at a time, each
    // acknowledged), and a closed one travels without its handle: such a launch used to wait for
    // it for ever, and so did the pool's refills and the server's stop.
    const nicePath = resolveExecutable('nice');
    assert.ok(nicePath, 'nice (coreutils) is on PATH');
    /** The promise's outcome, or 'pending' if it has none after 10 s (it never will, then). */
    const within = <T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown } | 'pending'> => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), 10_000)));
      return Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), late]).finally(() => clearTimeout(timer));
    };
    const launcher = new SpawnerLauncher();
    let cutShort = 0;
    try {
      for (let i = 0; i < 10; i++) {
        const launch = launcher.launch({
          nice: { value: 10, nicePath }, file: '/nonexistent/airlock-binary', args: [], cwd: '/', pipes: 7, inputs: [], collect: [6],
        });
        const outcome = await within(launch);
        if (outcome === 'pending') assert.fail(`launch ${i} never settled`);
        if ('error' in outcome) {
          const err = outcome.error as Error & { code?: string };
          assert.equal(err.code, 'SANDBOX_FAILED');
          assert.match(err.message, /could not be started: it exited at once \(exit code 127\), before it could be handed over; `airlock doctor` says why/);
          cutShort++;
        } else {
          // Every socket made it: its exit is reported like a child process's, after the launch settled.
          const proc = outcome.value;
          const exited = await within(new Promise((resolve) => (proc.exitCode !== null ? resolve(proc.exitCode) : proc.once('exit', resolve))));
          assert.notEqual(exited, 'pending', `launch ${i}: its exit was never reported`);
        }
      }
      assert.ok(cutShort > 0, 'at least one launch lost a socket before its hand-over (the case this test is about)');
    } finally {
      await launcher.close();
    }
  });

  it('ends its sandboxes when the spawner itself is SIGKILLed, and starts a new spawner for the next', async () => {
    const launcher = new SpawnerLauncher();
    const isolator = createIsolator(sandboxConfig('bwrap'), { launcher });
    const tracker = new Tracker('bwrap', isolator);
    try {
      // Not tracked: their processes die at once, but with their parent gone the host's pid 1
      // reaps them, when it gets to it.
      const busy = await isolator.spawn({ memoryMiB: 64 });
      const idle = await isolator.spawn({ memoryMiB: 64 });
      const footprints = [footprint(busy, 'bwrap'), footprint(idle, 'bwrap')];
      const running = busy.run(request('export default () => new Promise(() => {})', { timeoutMs: 60_000 }));
      const spawnerPid = childrenOf(process.pid).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('spawner-main'));
      assert.ok(spawnerPid !== undefined, 'the spawner runs as a child of this process');
      process.kill(spawnerPid, 'SIGKILL'); // our own child
      const outcome = await running;
      assert.equal(outcome.status, 'killed');
      assert.equal(outcome.reusable, false);
      await waitFor('every process of both sandboxes to be gone', () => footprints.every((fp) => leftovers(fp).length === 0 && (fp.innerPid === undefined || !processRunning(fp.innerPid, undefined))));
      // Each sandbox hears of its exit through the channel to the dead spawner a moment later.
      await waitFor('both sandboxes to know they ended', () => !busy.alive && !idle.alive);
      const fresh = await tracker.spawn();
      assert.equal((await fresh.run(request('export default () => "again"'))).result, 'again');
    } finally {
      await tracker.cleanup();
      await isolator.close();
    }
  });

  it('kills every sandbox when the server process is SIGKILLed', async () => {
    // A stand-in server: starts a spawner and one sandbox, prints the pids, then waits.
    const script = `
      import { createIsolator, SpawnerLauncher } from ${JSON.stringify(INDEX)};
      const iso = createIsolator(${JSON.stringify(sandboxConfig('bwrap'))}, { launcher: new SpawnerLauncher() });
      const sb = await iso.spawn({ memoryMiB: 64 });
      process.stdout.write(JSON.stringify({ sandbox: sb.pid }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const server = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await firstLine(server);
    const sandboxPid = (JSON.parse(line) as { sandbox: number }).sandbox;
    const spawnerPid = childrenOf(server.pid!)[0];
    assert.ok(spawnerPid !== undefined, 'the spawner runs as a child of the server');
    const inner = childrenOf(sandboxPid)[0];
    const fp = { pgid: sandboxPid, pidns: undefined, innerPid: inner };
    assert.ok(processRunning(sandboxPid, undefined));
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
    await waitFor('the spawner to exit', () => !processRunning(spawnerPid, undefined));
    await waitFor('the sandbox to die', () => leftovers(fp).length === 0 && (inner === undefined || !processRunning(inner, undefined)));
  });

  it('exits when the server dies without the IPC channel closing (a hand-over it never acknowledged)', async () => {
    // Node holds back 'disconnect' while a handed-over socket awaits the server's acknowledgement.
    // The same silence, made deterministic: a holder process keeps the server's end of the IPC
    // channel open after the stand-in server is SIGKILLed, so only being re-parented tells the
    // spawner (which then kills its sandboxes as on 'disconnect').
    const script = `
      import { fork, spawn } from 'node:child_process';
      const spawner = fork(${JSON.stringify(SPAWNER_MAIN)}, [String(process.pid)], { env: {}, execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const holder = spawn('sleep', ['60'], { stdio: ['ignore', 'ignore', 'ignore', spawner.channel.fd], detached: true });
      process.stdout.write(JSON.stringify({ spawner: spawner.pid, holder: holder.pid }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const server = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await firstLine(server);
    const { spawner, holder } = JSON.parse(line) as { spawner: number; holder: number };
    try {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
      assert.ok(processRunning(holder, undefined), 'the channel is still held open');
      assert.ok(processRunning(spawner, undefined), 'the spawner was running when the server died');
      await waitFor('the orphaned spawner to exit', () => !processRunning(spawner, undefined));
    } finally {
      process.kill(holder, 'SIGKILL'); // started by the stand-in server for this test
    }
  });
});

