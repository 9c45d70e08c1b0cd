// Unit tests of host-side log escaping and capping (no sandbox involved).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOG_LINE_OVERHEAD, LogCollector, cutLine, escapeLogText, truncateUtf8, truncationMarker } from '../../src/sandbox/logs.js';

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
  it('caps the total bytes, marks the cut line, and ends with a marker that names the limit and how to raise it', () => {
    // Each line costs its text plus LOG_LINE_OVERHEAD (12): 5 + 12, then 8 + 12 crosses 34.
    const logs = new LogCollector(34, () => 1);
    logs.add('info', '12345');
    logs.add('info', '67890abc');
    logs.add('info', 'dropped');
    const lines = logs.finish();
    assert.deepEqual(lines.map((l) => l.msg), ['12345', '67…', truncationMarker(34)]);
    assert.equal(
      truncationMarker(10),
      '[logs truncated: the execution logged more than limits.logBytes (10 bytes); log less, or raise limits.logBytes ' +
        'when deploying the function (airlock deploy --log-bytes N; up to the operator maximum)]',
    );
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
    assert.equal(lines.at(-1)?.msg, truncationMarker(100));
    assert.deepEqual(lines.slice(0, -1).map((l) => l.msg), [`${'a'.repeat(85)}…`], 'the budget exactly (text and its 12 bytes), the cut marked');
  });

  // Found by the red-team suite: lines were charged their text only, so empty lines were free and
  // one MiB of raw newlines became a million entries (a 49 MB answer) under a 64 KiB budget.
  it('charges every line LOG_LINE_OVERHEAD bytes, so floods of empty lines stop at the budget', () => {
    assert.equal(LOG_LINE_OVERHEAD, 12);
    const raw = new LogCollector(1200, () => 1);
    raw.addRaw('stdout', Buffer.alloc(1 << 20, 0x0a));
    const rawLines = raw.finish();
    assert.equal(rawLines.length, 1200 / 12 + 1, 'one hundred empty lines, then the marker');
    assert.equal(rawLines.at(-1)?.msg, truncationMarker(1200));
    // The same through add(), as a hostile logs frame of empty entries arrives.
    const framed = new LogCollector(1200, () => 1);
    for (let i = 0; i < 100_000; i++) framed.add('info', '');
    assert.equal(framed.finish().length, 1200 / 12 + 1);
  });

  it('marks truncation reported by the sandbox', () => {
    const logs = new LogCollector(100);
    logs.add('info', 'x');
    logs.markTruncated();
    assert.deepEqual(logs.finish().map((l) => l.msg), ['x', truncationMarker(100)]);
  });
});
