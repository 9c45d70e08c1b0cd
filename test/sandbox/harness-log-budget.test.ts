// The harness's side of a run's log budget (src/runtime/harness/log-budget.ts), driven the way
// capture.ts drives it, with its frames handed to the host's collector as the channel does: an
// honest harness keeps its first and newest lines within logBytes, and sends no more `logs`
// frames than the host's bound (maxLogsFrames) allows, however long and fast the run logs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HarnessLogEntry, LogsSkipped } from '../../src/runtime/protocol.js';
import { keep, maySend, newKeptLogs, takeLogsJson, unsent } from '../../src/runtime/harness/log-budget.js';
import type { KeptLogs } from '../../src/runtime/harness/log-budget.js';
import { maxLogsFrames } from '../../src/sandbox/execution.js';
import { LogCollector, TRUNCATION_MARKER } from '../../src/sandbox/logs.js';

/** A run that logs `count` lines, sending a frame after every `every` lines when it may. */
function run(cap: number, count: number, text: (i: number) => string, every: number) {
  const logs: KeptLogs = newKeptLogs(cap);
  const host = new LogCollector(cap, () => 1);
  let frames = 0;
  const deliver = (json: string) => {
    const frame = JSON.parse(`{${json}}`) as { logs: HarnessLogEntry[]; skipped?: LogsSkipped };
    if (frame.skipped !== undefined) host.leaveOut(frame.skipped[0], frame.skipped[1]);
    for (const [level, msg] of frame.logs) host.add(level, msg);
  };
  const send = () => {
    frames++;
    logs.frames++;
    deliver(takeLogsJson(logs));
  };
  for (let i = 0; i < count; i++) {
    keep(logs, 'info', text(i), send);
    if (i % every === 0 && unsent(logs) > 0 && maySend(logs, false)) send();
  }
  deliver(takeLogsJson(logs)); // the done frame
  return { frames, lines: host.finish(), truncated: logs.truncated };
}

describe('the harness log budget', () => {
  it('sends at most maxLogsFrames logs frames, however the run logs', () => {
    for (const cap of [0, 13, 300, 4096, 64 * 1024]) {
      for (const every of [1, 7]) {
        const { frames, lines } = run(cap, 50_000, (i) => `n${i}`, every);
        assert.ok(frames < maxLogsFrames(cap), `logBytes ${cap}, a frame per ${every} lines: ${frames} frames`);
        assert.equal(lines.at(-1)?.msg, cap >= 24 ? 'n49999' : TRUNCATION_MARKER + lines.at(-1)!.msg.slice(TRUNCATION_MARKER.length));
      }
    }
  });

  it('keeps the first and the newest lines within logBytes (JSON text plus 12 bytes a line), counting the rest', () => {
    const line = (i: number) => `${String(i).padStart(4, '0')} "${'x'.repeat(93)}"`;
    for (const every of [1, 100, 1_000_000]) {
      const { lines, truncated } = run(16 * 1024, 2000, line, every);
      assert.ok(truncated);
      const at = lines.findIndex((l) => l.msg.startsWith(TRUNCATION_MARKER));
      const head = lines.slice(0, at).map((l) => l.msg);
      const tail = lines.slice(at + 1).map((l) => l.msg);
      assert.deepEqual(head, head.map((_, i) => line(i)));
      const first = 2000 - tail.length;
      assert.deepEqual(tail, tail.map((_, i) => line(first + i)));
      assert.ok(lines[at]!.msg.includes(`; ${(first - head.length).toLocaleString('en-US')} lines (${((first - head.length) * 100).toLocaleString('en-US')} bytes) left out here`), lines[at]!.msg);
      const bytes = [...head, ...tail].reduce((n, msg) => n + Buffer.byteLength(JSON.stringify(msg)) + 12, 0);
      assert.ok(bytes <= 16 * 1024 && bytes > 15 * 1024, `${bytes} bytes`);
    }
  });
});
