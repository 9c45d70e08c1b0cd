// Unit tests of host-side log escaping and capping (no sandbox involved).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogCollector, cutLine, escapeLogText, truncateUtf8, truncationMarker } from '../../src/sandbox/logs.js';

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
    const logs = new LogCollector(10, () => 1);
    logs.add('info', '12345');
    logs.add('info', '67890abc');
    logs.add('info', 'dropped');
    const lines = logs.finish();
    assert.deepEqual(lines.map((l) => l.msg), ['12345', '67…', truncationMarker(10)]);
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
    assert.deepEqual(lines.slice(0, -1).map((l) => l.msg), [`${'a'.repeat(97)}…`], 'the budget exactly, the cut marked');
  });

  it('marks truncation reported by the sandbox', () => {
    const logs = new LogCollector(100);
    logs.add('info', 'x');
    logs.markTruncated();
    assert.deepEqual(logs.finish().map((l) => l.msg), ['x', truncationMarker(100)]);
  });
});
