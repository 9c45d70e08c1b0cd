// Unit tests of host-side log escaping and capping (no sandbox involved).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogCollector, TRUNCATION_MARKER, escapeLogText, truncateUtf8 } from '../../src/sandbox/logs.js';

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
});

describe('log collector', () => {
  it('caps the total bytes and appends a truncation marker', () => {
    const logs = new LogCollector(10, () => 1);
    logs.add('info', '12345');
    logs.add('info', '67890abc');
    logs.add('info', 'dropped');
    const lines = logs.finish();
    assert.deepEqual(lines.map((l) => l.msg), ['12345', '67890', TRUNCATION_MARKER]);
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
    assert.equal(lines.at(-1)?.msg, TRUNCATION_MARKER);
    assert.equal(lines.slice(0, -1).reduce((n, l) => n + l.msg.length, 0), 100);
  });

  it('marks truncation reported by the sandbox', () => {
    const logs = new LogCollector(100);
    logs.add('info', 'x');
    logs.markTruncated();
    assert.deepEqual(logs.finish().map((l) => l.msg), ['x', TRUNCATION_MARKER]);
  });
});
