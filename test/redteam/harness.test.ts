// Red team, harness tampering: the tenant lies to the host. It forges result frames on stdout,
// writes garbage or forged frames straight to the frame fd, returns prototype-polluting keys,
// injects fake log lines and terminal escapes, and fakes an out-of-memory exit code.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { resultOf, startRedteamServer } from './support.js';
import type { RedteamServer } from './support.js';

describe('red team: harness tampering', () => {
  let srv: RedteamServer;
  before(async () => {
    srv = await startRedteamServer();
  });
  after(async () => {
    await srv.stop();
  });

  it('a forged result frame printed on stdout is only a log line', async () => {
    const answer = await srv.attack(
      'forge-stdout',
      `import { writeSync } from 'node:fs';
      export default async (input, ctx) => {
        const body = JSON.stringify({ t: 'done', id: ctx.executionId, ok: true, result: 'FORGED', logs: [], logsTruncated: false });
        const head = Buffer.alloc(4); head.writeUInt32BE(Buffer.byteLength(body), 0);
        writeSync(1, Buffer.concat([head, Buffer.from(body), Buffer.from('\\n')]));
        process.stdout.write(body + '\\n');
        console.log(body);
        return 'genuine';
      };`,
    );
    srv.assertNoCanary(answer);
    assert.equal(resultOf(answer), 'genuine');
    assert.equal(answer.record?.result, 'genuine');
    const forged = answer.body.logs.filter((l) => l.msg.includes('FORGED'));
    assert.equal(forged.length, 3, JSON.stringify(answer.body.logs));
    for (const line of forged) assert.ok(['stdout', 'info'].includes(line.level), line.level);
  });

  const garbage: [string, string][] = [
    ['huge-length', `writeSync(3, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7b]));`],
    ['not-json', `const b = Buffer.from('{"t":"done",,,'); const h = Buffer.alloc(4); h.writeUInt32BE(b.length); writeSync(3, Buffer.concat([h, b]));`],
    [
      'wrong-id',
      `const b = Buffer.from(JSON.stringify({ t: 'done', id: 'ex_someone_else', ok: true, result: 'FORGED', logs: [], logsTruncated: false }));
       const h = Buffer.alloc(4); h.writeUInt32BE(b.length); writeSync(3, Buffer.concat([h, b]));`,
    ],
    ['extra-ready', `const b = Buffer.from('{"t":"ready"}'); const h = Buffer.alloc(4); h.writeUInt32BE(b.length); writeSync(3, Buffer.concat([h, b]));`],
  ];
  for (const [name, write] of garbage) {
    it(`garbage on the frame fd (${name}) destroys the sandbox as killed; the server keeps serving`, async () => {
      const answer = await srv.attack(
        `fd3-${name}`,
        `import { writeSync } from 'node:fs';
        export default async (input) => {
          if (!input.attack) return 'serving';
          ${write}
          await new Promise((r) => setTimeout(r, 5000));
          return 'FORGED-AFTER';
        };`,
        { input: { attack: true }, limits: { timeoutMs: 10_000 } },
      );
      srv.assertNoCanary(answer);
      assert.equal(answer.body.status, 'killed', JSON.stringify(answer.body));
      assert.equal(answer.body.error?.type, 'SandboxProtocolError');
      assert.match(answer.body.error?.message ?? '', /invalid frame .* destroyed/);
      assert.equal(answer.record?.status, 'killed');
      assert.equal(answer.body.result, undefined);
      assert.equal(await srv.healthy(), true);
      const next = await srv.invoke('mallory', `fd3-${name}`, { attack: false });
      assert.equal(resultOf(next), 'serving');
      assert.notEqual(next.body.start, 'warm', 'the lying sandbox is gone');
    });
  }

  it('a frame cut short on fd 3, then the genuine answer, destroys the sandbox as killed (the answer is not read as a frame)', async () => {
    const answer = await srv.attack(
      'fd3-partial-answer',
      `import { writeSync } from 'node:fs';
      export default async () => {
        const head = Buffer.alloc(4); head.writeUInt32BE(100);
        writeSync(3, Buffer.concat([head, Buffer.from('{"t":"logs","id":"')]));
        return 'FORGED-AFTER';
      };`,
      { limits: { timeoutMs: 5000 } },
    );
    srv.assertNoCanary(answer);
    assert.equal(answer.body.status, 'killed', JSON.stringify(answer.body));
    assert.equal(answer.body.error?.type, 'SandboxProtocolError');
    assert.equal(answer.body.result, undefined);
    assert.equal(await srv.healthy(), true);
  });

  for (const [name, bytes] of [['half a header', '[0, 0]'], ['a header and part of its body', '[0, 0, 0, 100, 0x7b]']] as const) {
    it(`${name} on fd 3, then a stall, ends at the deadline as timeout, never a hang`, async () => {
      const answer = await srv.attack(
        `fd3-stall-${name.replace(/\W+/g, '-')}`,
        `import { writeSync } from 'node:fs';
        export default async (input) => {
          if (!input.attack) return 'serving';
          writeSync(3, Buffer.from(${bytes}));
          await new Promise(() => {});
        };`,
        { input: { attack: true }, limits: { timeoutMs: 1500 } },
      );
      srv.assertNoCanary(answer);
      assert.equal(answer.body.status, 'timeout', JSON.stringify(answer.body));
      assert.equal(answer.record?.status, 'timeout');
      const next = await srv.invoke('mallory', `fd3-stall-${name.replace(/\W+/g, '-')}`, { attack: false });
      assert.equal(resultOf(next), 'serving');
      assert.notEqual(next.body.start, 'warm', 'the stalled sandbox is gone');
    });
  }

  // Found by this suite: every logs frame for the run's own id was parsed, however many came, so
  // a sandbox writing tiny ones in a loop made the server parse half a million a second and other
  // tenants' calls slowed down tenfold. A run may now send only as many as its log budget allows.
  it('a flood of logs frames for its own run destroys the sandbox as killed once past what its log budget allows', async () => {
    const answer = await srv.attack(
      'fd3-logs-flood',
      `import { writeSync } from 'node:fs';
      export default async (input, ctx) => {
        const body = Buffer.from(JSON.stringify({ t: 'logs', id: ctx.executionId, logs: [['info', 'x']] }));
        const head = Buffer.alloc(4); head.writeUInt32BE(body.length);
        const many = Buffer.concat(Array(1000).fill(Buffer.concat([head, body])));
        let sent = 0, off = 0;
        const end = Date.now() + 3000;
        while (Date.now() < end && sent < 2_000_000) {
          try { off += writeSync(3, many, off); } catch (e) { if (e.code === 'EAGAIN') continue; return 'CUT OFF: ' + e.code; }
          if (off === many.length) { off = 0; sent += 1000; }
        }
        return 'FLOODED ' + sent;
      };`,
      { limits: { timeoutMs: 10_000, logBytes: 4096 } },
    );
    srv.assertNoCanary(answer);
    assert.equal(answer.body.status, 'killed', JSON.stringify(answer.body).slice(0, 500));
    assert.equal(answer.body.error?.type, 'SandboxProtocolError');
    assert.match(answer.body.error?.message ?? '', /more logs frames than the log budget allows/);
    assert.equal(answer.record?.status, 'killed');
    assert.ok(answer.body.logs.length <= 4096 / 12 + 1, `${answer.body.logs.length} log lines`);
    assert.equal(await srv.healthy(), true);
  });

  it('__proto__ and constructor keys in a result are dropped and pollute nothing on the host', async () => {
    const plain = `export default async () => ({ n: 1 });`;
    const baseline = await srv.attack('plain', plain, { tenant: 'bystander' });
    const answer = await srv.attack(
      'proto-result',
      `export default async () => JSON.parse('{"ok":1,"__proto__":{"polluted":"yes","status":"succeeded","isAdmin":true},' +
        '"nested":{"constructor":{"prototype":{"polluted":"yes"}},"keep":2},"list":[{"__proto__":{"polluted":"yes"}}]}');`,
    );
    srv.assertNoCanary(answer);
    const r = resultOf<Record<string, unknown>>(answer);
    assert.equal(Object.hasOwn(r, '__proto__'), false);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), { ok: 1, nested: { keep: 2 }, list: [{}] });
    assert.doesNotMatch(JSON.stringify(answer.record), /polluted/);
    // The host behaves exactly as before: same answer shape for an untouched function.
    const after = await srv.invoke('bystander', 'plain');
    assert.deepEqual(Object.keys(after.body).sort(), Object.keys(baseline.body).sort());
    assert.deepEqual(after.body.result, { n: 1 });
    assert.doesNotMatch(JSON.stringify(after), /polluted|isAdmin/);
  });

  // Found by this suite: the harness wrote its own frames with JSON.stringify, which calls a
  // toJSON that tenant code defines on Object.prototype or Array.prototype for every object and
  // array in them, so such a run lost its logs and error and was reported as a protocol error.
  it('toJSON on Object, Array and String prototypes does not reach the frames the harness writes', async () => {
    const answer = await srv.attack(
      'proto-tojson',
      `export default async (input, ctx) => {
        for (const proto of [Object.prototype, Array.prototype, String.prototype]) {
          Object.defineProperty(proto, 'toJSON', { value: function () { return 'HIJACKED'; }, configurable: true, writable: true });
        }
        console.log('logged', input.n);
        ctx.log.warn('warned');
        if (input.fail) throw new RangeError('thrown on purpose');
        return 'genuine';
      };`,
      { input: { n: 1, fail: false } },
    );
    srv.assertNoCanary(answer);
    assert.equal(resultOf(answer), 'genuine');
    assert.deepEqual(answer.body.logs.map((l) => [l.level, l.msg]), [['info', 'logged 1'], ['warn', 'warned']]);
    // The same warm sandbox, its prototypes still patched, describes a failure as ever.
    const failed = await srv.invoke('mallory', 'proto-tojson', { n: 2, fail: true });
    assert.equal(failed.body.status, 'failed', JSON.stringify(failed.body));
    assert.equal(failed.body.start, 'warm');
    assert.equal(failed.body.error?.type, 'RangeError');
    assert.equal(failed.body.error?.message, 'thrown on purpose');
    assert.deepEqual(failed.body.logs.map((l) => [l.level, l.msg]), [['info', 'logged 2'], ['warn', 'warned']]);
    assert.doesNotMatch(JSON.stringify(failed), /HIJACKED/);
  });

  // The harness reads its grants from the host's run frame: tenant code that plants them on
  // Object.prototype makes the harness offer ctx.fetch and ctx.checkpoint, and the host, which
  // alone grants them, refuses what they send.
  it('a polluted Object.prototype grants neither egress nor checkpoints: the host refuses the frames, nothing is connected', async () => {
    let connections = 0;
    const listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    try {
      const code = `export default async (input, ctx) => {
        if (input.step === 'pollute') {
          Object.prototype.egress = { requestBytes: 1e6, maxInFlight: 16 };
          Object.prototype.job = { checkpointBytes: 1e6 };
          return 'polluted';
        }
        if (input.step === 'fetch') await ctx.fetch('http://127.0.0.1:' + input.port + '/');
        else await ctx.checkpoint.save({ stolen: true });
        return 'GRANTED';
      };`;
      for (const [fn, step, refusal] of [
        ['polluted-egress', 'fetch', 'fetch frame outside a run granted egress'],
        ['polluted-checkpoint', 'checkpoint', 'checkpoint frame outside a job run'],
      ] as const) {
        assert.equal(resultOf(await srv.attack(fn, code, { input: { step: 'pollute' }, limits: { timeoutMs: 5000 } })), 'polluted');
        const answer = await srv.invoke('mallory', fn, { step, port });
        srv.assertNoCanary(answer);
        assert.equal(answer.body.start, 'warm', 'the polluted sandbox ran it');
        assert.equal(answer.body.status, 'killed', JSON.stringify(answer.body));
        assert.equal(answer.body.error?.type, 'SandboxProtocolError');
        assert.match(answer.body.error?.message ?? '', new RegExp(refusal));
        assert.equal(answer.body.result, undefined);
        const next = await srv.invoke('mallory', fn, { step: 'pollute' });
        assert.notEqual(next.body.start, 'warm', 'the refused sandbox is gone');
      }
      assert.equal(connections, 0, 'no connection reached the listener');
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it('log injection: newlines stay inside one entry, ANSI and control characters come back stripped or escaped', async () => {
    const evil = 'ok\\n{"ts":0,"level":"error","msg":"FORGED"}\\n\\x1b[2J\\x1b[31mred\\x1b[0m\\r\\u202ereversed\\x07\\x00';
    const answer = await srv.attack(
      'log-injection',
      `import { writeSync } from 'node:fs';
      export default async (input, ctx) => {
        const evil = '${evil}';
        console.log(evil);
        ctx.log.warn(evil);
        writeSync(2, evil + '\\n');
        return 'logged';
      };`,
    );
    srv.assertNoCanary(answer);
    assert.equal(resultOf(answer), 'logged');
    const logs = answer.body.logs;
    assert.ok(logs.length >= 3, JSON.stringify(logs));
    for (const line of logs) {
      assert.doesNotMatch(line.msg, /[\x00-\x08\x0b-\x1f\x7f\u202e]/, JSON.stringify(line.msg));
      assert.notEqual(line.level, 'error', 'no forged error entry');
    }
    // Through console and ctx.log: one entry each, the newlines inside it, never a new entry.
    assert.equal(logs.filter((l) => l.level === 'info').length, 1);
    assert.equal(logs.filter((l) => l.level === 'warn').length, 1);
    // Raw fd 2 is split into lines, each one plainly a stderr line.
    const raw = logs.filter((l) => l.level === 'stderr');
    assert.deepEqual(raw.map((l) => l.msg.slice(0, 10)), ['ok', '{"ts":0,"l', 'red\\x0d\\u202e'.slice(0, 10)]);
    const text = JSON.stringify(logs);
    assert.match(text, /red/);
    assert.match(text, /\\\\x07/, 'BEL comes back as the text \\x07');
    assert.match(text, /\\\\u202e/, 'the bidi override comes back as the text \\u202e');
    assert.deepEqual(answer.record?.logs, logs);
  });

  it('lone UTF-16 surrogates in logs, a result and an error come back as written, in the answer and the stored record alike', async () => {
    const code = `export default async (input, ctx) => {
      console.log('log \\ud800 high');
      ctx.log.warn('\\udfff low');
      if (input.fail) throw new Error('thrown \\udc00');
      return { text: 'x\\ud800y', ['key\\udbff']: 1 };
    };`;
    const answer = await srv.attack('lone-surrogates', code, { input: { fail: false } });
    srv.assertNoCanary(answer);
    assert.deepEqual(resultOf(answer), { text: 'x\ud800y', 'key\udbff': 1 });
    assert.deepEqual(answer.body.logs.map((l) => l.msg), ['log \ud800 high', '\udfff low']);
    assert.deepEqual(answer.record?.result, answer.body.result);
    assert.deepEqual(answer.record?.logs, answer.body.logs);
    const failed = await srv.invoke('mallory', 'lone-surrogates', { fail: true });
    assert.equal(failed.body.status, 'failed', JSON.stringify(failed.body));
    assert.equal(failed.body.error?.message, 'thrown \udc00');
    assert.deepEqual((failed.record?.error as { message?: string } | undefined)?.message, 'thrown \udc00');
  });

  it('a large result spliced into the answer as text keeps the guards: __proto__ dropped, surrogates and U+2028 escaped alike, invoke, batch and record agree', async () => {
    // 16 KiB and more of result JSON is sent as the text made when it was checked, not serialized again.
    const code = `export default async () => {
      const parsed = JSON.parse('{"ok":1,"__proto__":{"polluted":"yes"},"nested":{"constructor":{"prototype":{"polluted":"yes"}},"keep":2},' +
        '"list":[{"__proto__":{"polluted":"yes"}}],"dup":1,"dup":2}');
      return { ...parsed, pad: 'p'.repeat(20000), text: 'x\\ud800y\\u2028z\\u001b[31m', big: 123456789012345678901234567890, negZero: -0 };
    };`;
    const expected = {
      ok: 1, nested: { keep: 2 }, list: [{}], dup: 2, pad: 'p'.repeat(20000), text: 'x\ud800y\u2028z\u001b[31m', big: 1.2345678901234568e29, negZero: 0,
    };
    const answer = await srv.attack('spliced-result', code);
    srv.assertNoCanary(answer);
    assert.equal(answer.body.status, 'succeeded', JSON.stringify(answer.body).slice(0, 500));
    assert.deepEqual(resultOf(answer), expected);
    assert.deepEqual(answer.record?.result, expected);
    const res = await fetch(`${srv.url}/v1/tenants/mallory/functions/spliced-result/invoke-batch`, {
      method: 'POST', headers: srv.headers, body: JSON.stringify({ inputs: [null, null] }),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text.slice(0, 500));
    assert.doesNotMatch(text, /polluted/);
    const batch = JSON.parse(text) as { results: { status: string; result: unknown }[] };
    assert.deepEqual(batch.results.map((r) => r.result), [expected, expected]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('process.exit(137) is not reported as oom', async () => {
    const answer = await srv.attack('fake-oom', `export default async () => { process.exit(137); };`);
    srv.assertNoCanary(answer);
    assert.equal(answer.body.status, 'killed', JSON.stringify(answer.body));
    assert.equal(answer.body.error?.type, 'SandboxExited');
    assert.match(answer.body.error?.message ?? '', /exit code 137/);
    assert.notEqual(answer.record?.status, 'oom');
  });
});
