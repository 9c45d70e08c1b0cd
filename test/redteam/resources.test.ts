// Red team, resources: endless loops, heap bombs, filling /tmp and /dev/shm, exhausting file
// descriptors, flooding stdout/stderr, and work that keeps running after the function returned.
// Every limit is enforced from outside; after each attack the server still serves.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { RT_NOFILE, RT_SANDBOX_NOFILE, RT_TMP_BYTES, resultOf, startRedteamServer } from './support.js';
import type { RedteamServer } from './support.js';

describe('red team: resources', () => {
  let srv: RedteamServer;
  before(async () => {
    srv = await startRedteamServer();
  });
  after(async () => {
    await srv.stop();
  });

  it('an endless loop ends as timeout, and the next call runs in a fresh sandbox', async () => {
    const code = `export default async (input) => { if (input.spin) { process.on('SIGTERM', () => {}); for (;;) {} } return 'alive'; };`;
    const answer = await srv.attack('spin', code, { input: { spin: true }, limits: { timeoutMs: 300 } });
    srv.assertNoCanary(answer);
    assert.equal(answer.body.status, 'timeout', JSON.stringify(answer.body));
    assert.equal(answer.body.error?.type, 'Timeout');
    assert.equal(answer.record?.status, 'timeout');
    const next = await srv.invoke('mallory', 'spin', { spin: false });
    assert.equal(next.body.status, 'succeeded', JSON.stringify(next.body));
    assert.equal(next.body.result, 'alive');
    assert.notEqual(next.body.start, 'warm', 'the looping sandbox was destroyed');
  });

  for (const [where, block] of [
    ['the main thread', `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);`],
    [
      'the main thread and a worker',
      `const sab = new SharedArrayBuffer(4);
       new Worker('Atomics.wait(new Int32Array(require("node:worker_threads").workerData), 0, 0)', { eval: true, workerData: sab });
       Atomics.wait(new Int32Array(sab), 0, 0);`,
    ],
  ] as const) {
    it(`Atomics.wait blocking ${where} past the deadline ends as timeout; the next call runs in a fresh sandbox`, async () => {
      const fn = `atomics-${where.replace(/\W+/g, '-')}`;
      const answer = await srv.attack(
        fn,
        `import { Worker } from 'node:worker_threads';
        export default async (input) => {
          if (!input.block) return 'serving';
          ${block}
          return 'WOKE';
        };`,
        { input: { block: true }, limits: { timeoutMs: 1000 } },
      );
      srv.assertNoCanary(answer);
      assert.equal(answer.body.status, 'timeout', JSON.stringify(answer.body));
      assert.equal(answer.body.result, undefined);
      const next = await srv.invoke('mallory', fn, { block: false });
      assert.equal(resultOf(next), 'serving');
      assert.notEqual(next.body.start, 'warm');
    });
  }

  it('a heap bomb ends as oom, and the next call works', async () => {
    const code = `export default async (input) => {
      if (!input.bomb) return 'alive';
      const hoard = [];
      for (let i = 0; i < 10_000_000; i++) hoard.push('x'.repeat(64) + i);
      return hoard.length;
    };`;
    const answer = await srv.attack('heap-bomb', code, { input: { bomb: true }, limits: { memoryMiB: 32, timeoutMs: 20_000 } });
    srv.assertNoCanary(answer);
    assert.equal(answer.body.status, 'oom', JSON.stringify(answer.body));
    assert.equal(answer.record?.status, 'oom');
    const next = await srv.invoke('mallory', 'heap-bomb', { bomb: false });
    assert.equal(next.body.status, 'succeeded', JSON.stringify(next.body));
    assert.equal(next.body.result, 'alive');
  });

  for (const dir of ['/tmp', '/dev/shm']) {
    it(`filling ${dir} stops at its size limit with ENOSPC, in memory, not on the host disk`, async () => {
      const marker = `airlock-rt-fill-${randomBytes(6).toString('hex')}`;
      const answer = await srv.attack(
        `fill${dir.replaceAll('/', '-')}`,
        `import { openSync, writeSync, closeSync, statfsSync, unlinkSync } from 'node:fs';
        export default async (input) => {
          const chunk = Buffer.alloc(256 * 1024, 7);
          const path = input.dir + '/' + input.marker;
          let written = 0, error = null;
          const fd = openSync(path, 'w');
          try { for (let i = 0; i < 256; i++) written += writeSync(fd, chunk); } catch (e) { error = e.code; } finally { closeSync(fd); }
          const fs = statfsSync(input.dir);
          unlinkSync(path);
          return { written, error, fsType: fs.type, fsBytes: fs.blocks * fs.bsize };
        };`,
        { input: { dir, marker } },
      );
      const r = resultOf<{ written: number; error: string | null; fsType: number; fsBytes: number }>(answer);
      srv.assertNoCanary(answer);
      assert.equal(r.error, 'ENOSPC');
      assert.ok(r.written <= RT_TMP_BYTES, `${r.written} bytes written`);
      assert.equal(r.fsType, 0x01021994, 'a tmpfs (memory), not a host disk');
      assert.equal(r.fsBytes, RT_TMP_BYTES);
      assert.equal(existsSync(`${dir}/${marker}`), false, 'not on the host');
    });
  }

  it('exhausting file descriptors hits EMFILE at the sandbox\'s own limit; the host keeps serving', async () => {
    const answer = await srv.attack(
      'fd-exhaust',
      `import { openSync, closeSync } from 'node:fs';
      export default async () => {
        const fds = [];
        let error = null;
        try { for (let i = 0; i < 100_000; i++) fds.push(openSync('/dev/null', 'r')); } catch (e) { error = e.code; }
        const opened = fds.length;
        for (const fd of fds) closeSync(fd);
        return { opened, error };
      };`,
    );
    const r = resultOf<{ opened: number; error: string | null }>(answer);
    srv.assertNoCanary(answer);
    assert.equal(r.error, 'EMFILE');
    // AIRLOCK_SANDBOX_NOFILE, not the server's RT_NOFILE: Node itself holds a few dozen.
    assert.ok(r.opened < RT_SANDBOX_NOFILE && r.opened > RT_SANDBOX_NOFILE - 100, `${r.opened} descriptors opened (server limit ${RT_NOFILE})`);
    assert.equal(await srv.healthy(), true);
    const other = await srv.attack('after-fds', `export default async () => 'fine';`, { tenant: 'bystander' });
    assert.equal(resultOf(other), 'fine');
  });

  it('flooding stdout and stderr is capped at the log limit with a truncation marker', async () => {
    const logBytes = 4096;
    const answer = await srv.attack(
      'flood',
      `import { writeSync } from 'node:fs';
      export default async () => {
        const line = 'flood '.repeat(100) + '\\n';
        for (let i = 0; i < 4000; i++) { console.log(line); process.stderr.write(line); }
        // Straight to fd 1/2, past the harness (non-blocking pipes: EAGAIN means the host is behind).
        const raw = Buffer.from(line.repeat(100));
        let rawBytes = 0;
        for (let i = 0; i < 20_000 && rawBytes < 16 * 1024 * 1024; i++) {
          for (const fd of [1, 2]) { try { rawBytes += writeSync(fd, raw); } catch (e) { if (e.code !== 'EAGAIN') throw e; } }
        }
        return { rawBytes };
      };`,
      { limits: { logBytes, timeoutMs: 20_000 } },
    );
    srv.assertNoCanary(answer);
    assert.ok(resultOf<{ rawBytes: number }>(answer).rawBytes > 1024 * 1024, 'megabytes went out raw');
    for (const logs of [answer.body.logs, answer.record?.logs as { msg: string }[]]) {
      // The first and the newest lines, with one marker line between them.
      const markers = logs.filter((l) => l.msg.startsWith(`[logs truncated: the execution logged more than limits.logBytes (${logBytes} bytes)`));
      assert.equal(markers.length, 1, JSON.stringify(logs.map((l) => l.msg.slice(0, 40))));
      const bytes = logs.filter((l) => l !== markers[0]).reduce((n, l) => n + Buffer.byteLength(l.msg, 'utf8'), 0);
      assert.ok(bytes <= logBytes, `${bytes} bytes of logs kept`);
    }
  });

  // Found by this suite: the host charged each log line its text only, so empty lines were free:
  // one MiB of raw newlines came back as 1,048,576 entries (a 49 MB answer and stored record)
  // under a 64 KiB logBytes. Every line now costs 12 bytes besides its JSON text, as documented.
  it('a flood of empty raw lines is capped at the log limit like any other output', async () => {
    const logBytes = 4096;
    const answer = await srv.attack(
      'empty-lines',
      `import { writeSync } from 'node:fs';
      export default async () => {
        const newlines = Buffer.alloc(1024 * 1024, 10);
        let sent = 0;
        for (let i = 0; i < 1_000_000 && sent < newlines.length; i++) {
          try { sent += writeSync(1, newlines, sent); } catch (e) { if (e.code !== 'EAGAIN') throw e; }
        }
        return { sent };
      };`,
      { limits: { logBytes, timeoutMs: 20_000 } },
    );
    srv.assertNoCanary(answer);
    assert.equal(resultOf<{ sent: number }>(answer).sent, 1024 * 1024, 'a MiB of newlines went out raw');
    for (const logs of [answer.body.logs, answer.record?.logs as { msg: string }[]]) {
      assert.ok(logs.length <= logBytes / 12 + 1, `${logs.length} log lines kept`);
      assert.equal(logs.filter((l) => l.msg.startsWith('[logs truncated')).length, 1, 'one marker, between the first and the newest lines');
    }
    assert.ok(JSON.stringify(answer.body).length < 64 * 1024, 'the answer stays small');
  });

  // Found by this suite: the harness used to charge console output and uncaught errors to "the
  // run in progress", so timers left by one execution wrote into (or failed) the next execution
  // of the same warm sandbox. It now attributes them to the run that scheduled them. (Raw writes
  // to fd 1/2 cannot be attributed and are not covered: see docs/security-testing.md.)
  const LATE_CODE = `import { writeSync } from 'node:fs';
    export default async (input, ctx) => {
      if (input.arm) {
        globalThis.leaked = 0;
        const leak = () => { globalThis.leaked++; console.log('LEAK from ' + ctx.executionId); ctx.log.error('LEAK via ctx.log'); };
        for (let i = 1; i <= 8; i++) setTimeout(leak, i * 25);
        const interval = setInterval(leak, 20);
        if (input.throwLater) {
          setTimeout(() => { clearInterval(interval); throw new Error('LEAKED THROW'); }, 100);
          setTimeout(() => { Promise.reject(new Error('LEAKED REJECTION')); }, 150);
        }
        return 'armed';
      }
      if (input.ownRejection) Promise.reject(new Error('OWN REJECTION'));
      await new Promise((r) => setTimeout(r, 300));
      return { leaked: globalThis.leaked };
    };`;

  for (const throwLater of [false, true]) {
    const what = throwLater
      ? 'errors thrown and rejections left by late timers do not fail the next execution'
      : "late timers' console and ctx.log output never reaches the next execution";
    it(what, async () => {
      const fn = throwLater ? 'late-throw' : 'late-logs';
      const first = await srv.attack(fn, LATE_CODE, { input: { arm: true, throwLater } });
      srv.assertNoCanary(first);
      assert.equal(resultOf(first), 'armed');
      const second = await srv.invoke('mallory', fn, { arm: false });
      srv.assertNoCanary(second);
      assert.equal(second.body.start, 'warm', 'same sandbox: the timers really were still running');
      const r = resultOf<{ leaked: number }>(second);
      assert.ok(r.leaked > 0, 'the leaked timers ran between and during the calls');
      for (const answer of [first, second]) {
        assert.doesNotMatch(JSON.stringify([answer.body.logs, answer.record?.logs]), /LEAK/, 'no leaked output in any execution');
      }
      if (throwLater) {
        // Control: an execution's own unhandled rejection still fails it.
        const own = await srv.invoke('mallory', fn, { ownRejection: true });
        assert.equal(own.body.status, 'failed');
        assert.equal(own.body.error?.message, 'OWN REJECTION');
      }
    });
  }

  // Known gap: bytes written straight to fd 1/2 (fs.writeSync, a child process with inherited
  // stdio) carry no run context, so a late writer's raw output lands in the next execution of
  // the same warm sandbox (same tenant only). Kept visible until the host can tell them apart.
  it("late timers' raw fd 1 writes never reach the next execution", { todo: 'raw fd 1/2 output cannot be attributed to a run' }, async () => {
    const code = `import { writeSync } from 'node:fs';
      export default async (input) => {
        if (input.arm) { const t = setInterval(() => writeSync(1, 'LEAK raw\\n'), 20); setTimeout(() => clearInterval(t), 1000); return 'armed'; }
        await new Promise((r) => setTimeout(r, 300));
        return 'done';
      };`;
    const first = await srv.attack('late-raw', code, { input: { arm: true } });
    assert.equal(resultOf(first), 'armed');
    const second = await srv.invoke('mallory', 'late-raw', { arm: false });
    assert.equal(resultOf(second), 'done');
    assert.equal(second.body.start, 'warm');
    assert.doesNotMatch(JSON.stringify(second.body.logs), /LEAK/);
  });
});
