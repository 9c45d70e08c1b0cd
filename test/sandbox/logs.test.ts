// Unit tests of host-side log escaping and capping (no sandbox involved).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOG_LINE_OVERHEAD, LogCollector, TRUNCATION_MARKER, cutLine, escapeLogText, truncateUtf8, truncationMarker } from '../../src/sandbox/logs.js';

describe('log escaping', () => {
  it('strips ANSI sequences and escapes control characters except \\n and \\t', () => {
    assert.equal(escapeLogText('\x1b[1;31mred\x1b[0m'), 'red');
    assert.equal(escapeLogText('\x1b]0;title\x07text'), 'text');
    assert.equal(escapeLogText('a\x00b\x07c\rd\x7fe\x9bf'), 'a\\x00b\\x07c\\x0dd\\x7fe\\x9bf');
    assert.equal(escapeLogText('line1\r\nline2\tx'), 'line1\nline2\tx');
    assert.equal(escapeLogText('evil\u202etxt.exe\u2028x'), 'evil\\u202etxt.exe\\u2028x');
    assert.equal(escapeLogText('lone \x1b escape'), 'lone \\x1b escape');
  });

  it('truncates UTF-8 without splitting characters', () => {
    assert.equal(truncateUtf8('héllo', 2), 'h');
    assert.equal(truncateUtf8('😀😀', 5), '😀');
    assert.equal(truncateUtf8('abc', 10), 'abc');
  });

  it('ends a cut line with an ellipsis, within the bytes it was cut to', () => {
    assert.equal(cutLine('a log line', 8), 'a log…');
    assert.equal(cutLine('😀😀😀', 10), '😀…');
    assert.equal(cutLine('abc', 3), '', 'no character fits beside the ellipsis');
    for (const max of [4, 5, 9, 20]) assert.ok(Buffer.byteLength(cutLine('é'.repeat(50), max)) <= max);
  });
});

describe('log collector', () => {
  it('keeps the first lines and the newest, with a marker between that counts what was left out', () => {
    // Each line costs its text plus LOG_LINE_OVERHEAD (12): 100 + 12. Half of 2280 holds 10 lines,
    // the rest (1120) the newest 9 and the 23-byte LAST.
    const logs = new LogCollector(2280, () => 1);
    const line = (i: number) => `${String(i).padStart(4, '0')} ${'x'.repeat(95)}`;
    for (let i = 0; i < 2000; i++) logs.add('info', line(i));
    logs.add('info', 'LAST before the failure');
    const msgs = logs.finish().map((l) => l.msg);
    assert.deepEqual(msgs, [
      ...Array.from({ length: 10 }, (_, i) => line(i)),
      truncationMarker(2280, 1981, 198_100),
      ...Array.from({ length: 9 }, (_, i) => line(1991 + i)),
      'LAST before the failure',
    ]);
    assert.equal(
      truncationMarker(2280, 1981, 198_100),
      '[logs truncated: the execution logged more than limits.logBytes (2280 bytes); 1,981 lines (198,100 bytes) left out here, ' +
        'between the first and the last lines it logged; log less, or raise limits.logBytes when deploying the function ' +
        '(airlock deploy --log-bytes N; up to the operator maximum)]',
    );
  });

  it('keeps logs under the cap unchanged, past half of it too', () => {
    const logs = new LogCollector(2280, () => 1);
    for (let i = 0; i < 20; i++) logs.add('info', 'x'.repeat(100));
    assert.deepEqual(logs.finish().map((l) => l.msg), Array(20).fill('x'.repeat(100)));
    const single = new LogCollector(2280, () => 1);
    single.add('info', 'y'.repeat(2000));
    assert.deepEqual(single.finish().map((l) => l.msg), ['y'.repeat(2000)], 'one line longer than half the cap is kept whole');
  });

  it('cuts a line longer than what is left and leaves lines out whole, never cut', () => {
    // "12345" costs 7 + 12 and fits in half of 38; '67890abc' (10 + 12) does not fit in the 19 left: cut.
    const logs = new LogCollector(38, () => 1);
    logs.add('info', '12345');
    logs.add('info', '67890abc');
    assert.deepEqual(logs.soFar().map((l) => l.msg), ['12345', truncationMarker(38), '67…']);
    assert.equal(
      truncationMarker(38),
      '[logs truncated: the execution logged more than limits.logBytes (38 bytes); a line too long for what was left of it ' +
        'was cut and ends with …; log less, or raise limits.logBytes when deploying the function (airlock deploy --log-bytes N; up to the operator maximum)]',
    );
    logs.add('info', 'ab');
    assert.deepEqual(logs.finish().map((l) => l.msg), ['12345', truncationMarker(38, 1, 5), 'ab'], 'the cut line is left out whole');
  });

  it('shows the first lines, the marker and the newest lines so far while the run goes on', () => {
    const logs = new LogCollector(240, () => 1);
    for (let i = 0; i < 50; i++) logs.add('info', `line ${String(i).padStart(2, '0')}`);
    const now = logs.soFar().map((l) => l.msg);
    // Each line costs 9 + 12: five fit in half of 240, six in the rest.
    assert.deepEqual(now.slice(0, 5), ['line 00', 'line 01', 'line 02', 'line 03', 'line 04']);
    assert.equal(now[5], truncationMarker(240, 39, 273));
    assert.deepEqual(now.slice(6), ['line 44', 'line 45', 'line 46', 'line 47', 'line 48', 'line 49']);
    logs.add('info', 'line 50');
    assert.equal(logs.soFar().at(-1)?.msg, 'line 50');
  });

  it('leaves out what the sandbox reports it left out, and every line collected since the first ones', () => {
    const logs = new LogCollector(240, () => 1);
    for (let i = 0; i < 8; i++) logs.add('info', `line ${String(i).padStart(2, '0')}`);
    logs.leaveOut(100, 700);
    logs.add('info', 'after');
    assert.deepEqual(logs.finish().map((l) => l.msg), [
      ...Array.from({ length: 5 }, (_, i) => `line 0${i}`),
      truncationMarker(240, 103, 721),
      'after',
    ]);
  });

  it('splits raw output into lines across chunks and multi-byte characters', () => {
    const logs = new LogCollector(1000, () => 1);
    const bytes = Buffer.from('one\ntw€o\nthree');
    for (const b of bytes) logs.addRaw('stdout', Buffer.from([b]));
    logs.addRaw('stderr', Buffer.from('err\n'));
    assert.deepEqual(logs.finish().map((l) => `${l.level}:${l.msg}`), ['stdout:one', 'stdout:tw€o', 'stderr:err', 'stdout:three']);
  });

  it('never buffers more than the budget of an unterminated line', () => {
    const logs = new LogCollector(100, () => 1);
    for (let i = 0; i < 1000; i++) logs.addRaw('stdout', Buffer.alloc(1000, 0x61));
    const lines = logs.finish();
    assert.equal(lines.length, 2);
    // Each chunk is more than the budget of an unterminated line: a line, cut; all but the newest left out.
    assert.equal(lines[0]?.msg, truncationMarker(100, 999, 999 * 86));
    assert.equal(lines[1]?.msg, `${'a'.repeat(83)}…`, 'the budget exactly (JSON text and its 12 bytes), the cut marked');
  });

  // Found by the red-team suite: lines were charged their text only, so empty lines were free and
  // one MiB of raw newlines became a million entries (a 49 MB answer) under a 64 KiB budget.
  it('charges every line LOG_LINE_OVERHEAD bytes, so floods of empty lines stop at the budget', () => {
    // An empty line costs 2 (its JSON text, "") + 12.
    assert.equal(LOG_LINE_OVERHEAD, 12);
    const raw = new LogCollector(1400, () => 1);
    raw.addRaw('stdout', Buffer.alloc(1 << 20, 0x0a));
    const rawLines = raw.finish();
    assert.equal(rawLines.length, 101, 'fifty empty lines, the marker, then the newest fifty');
    assert.equal(rawLines[50]?.msg, truncationMarker(1400, (1 << 20) - 100, 0));
    // The same through add(), as a hostile logs frame of empty entries arrives.
    const framed = new LogCollector(1400, () => 1);
    for (let i = 0; i < 100_000; i++) framed.add('info', '');
    assert.equal(framed.finish().length, 101);
  });

  it('keeps the same lines of raw output however it is split, counting lines it skips unread', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `raw ${i}`).join('\n') + '\nLAST\n';
    const expected = new LogCollector(4096, () => 1);
    for (const line of text.split('\n').slice(0, -1)) expected.add('stderr', line);
    const want = expected.finish();
    assert.equal(want.at(-1)?.msg, 'LAST');
    for (const size of [1, 7, 4096, 65536, text.length]) {
      const logs = new LogCollector(4096, () => 1);
      const bytes = Buffer.from(text);
      for (let at = 0; at < bytes.length; at += size) logs.addRaw('stderr', bytes.subarray(at, at + size));
      assert.deepEqual(logs.finish(), want, `chunks of ${size}`);
    }
  });

  // Found by the red team: past the head, each 64 KiB chunk of newlines still had its last few
  // thousand lines escaped, measured and timed one by one, only for the next chunk to push them
  // out: a sandbox writing newlines kept the server's event loop busy and another tenant's warm
  // call took 50 times longer. A chunk's lines now wait for the next output, and are counted, not
  // measured, when it alone fills the tail; every line measured is timed once per chunk.
  it('does per-chunk work, not per-line work, for a flood of raw lines it cannot keep', () => {
    let clock = 0;
    const logs = new LogCollector(64 * 1024, () => ++clock);
    const chunk = Buffer.alloc(64 * 1024, 10);
    for (let i = 0; i < 100; i++) logs.addRaw('stdout', chunk);
    // Once per line of the head (32 KiB of 14-byte lines), then about once per chunk; it was once
    // per line of each chunk's last 32 KiB / 12 bytes (about 275,000 reads here).
    assert.ok(clock < 3000, `the clock was read ${clock} times for 100 chunks`);
    const lines = logs.finish();
    const kept = lines.filter((l) => !l.msg.startsWith(TRUNCATION_MARKER));
    // The same lines as one big write would give: the head, the marker, then the newest lines.
    const whole = new LogCollector(64 * 1024, () => 1);
    whole.addRaw('stdout', Buffer.alloc(100 * 64 * 1024, 10));
    const want = whole.finish();
    assert.deepEqual(lines.map((l) => l.msg), want.map((l) => l.msg));
    assert.ok(kept.length > 1000 && kept.every((l) => l.level === 'stdout' && l.msg === ''));
  });

  it('adds the lines a chunk left waiting before later lines, counts and answers', () => {
    const logs = new LogCollector(200, () => 7);
    for (let i = 0; i < 20; i++) logs.add('info', `head ${i}`); // past the head: the tail is in use
    logs.addRaw('stdout', Buffer.from('raw a\nraw b\n'));
    logs.add('warn', 'framed');
    logs.addRaw('stderr', Buffer.from('err c\n'));
    const msgs = logs.finish().map((l) => l.msg);
    assert.deepEqual(msgs.slice(-4), ['raw a', 'raw b', 'framed', 'err c']);
  });

  it('holds at most about the cap whatever the sandbox sends', () => {
    const logs = new LogCollector(4096, () => 1);
    for (let i = 0; i < 200; i++) logs.add('info', 'z'.repeat(10_000));
    logs.addRaw('stdout', Buffer.alloc(1 << 20, 0x62));
    for (let i = 0; i < 100_000; i++) logs.add('info', String(i));
    const lines = logs.finish();
    const kept = lines.filter((l) => !l.msg.startsWith('[logs truncated'));
    assert.ok(kept.reduce((n, l) => n + Buffer.byteLength(l.msg) + LOG_LINE_OVERHEAD, 0) <= 4096);
    assert.equal(kept.at(-1)?.msg, '99999');
  });

  it('marks truncation reported by the sandbox', () => {
    const logs = new LogCollector(100);
    logs.add('info', 'x');
    logs.markTruncated();
    assert.deepEqual(logs.finish().map((l) => l.msg), ['x', truncationMarker(100)]);
  });
});
