// Logs over their limit keep their first lines and their newest ones, with one marker line between
// saying how many lines were left out: the lines just before a failure are the ones a developer
// needs. Found by a walkthrough: 2000 lines, then "LAST", then a throw kept lines 0-570 only.
// Real HTTP, bwrap and SQLite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TRUNCATION_MARKER } from '../../src/sandbox/logs.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, submit } from './jobs-support.js';

const LINES = 2000;
/** Line i as the functions below log it: 100 bytes of text. */
const line = (i: number) => `${String(i).padStart(4, '0')} ${'x'.repeat(95)}`;
const LOG_LOOP = `for (let i = 0; i < ${LINES}; i++) console.log(String(i).padStart(4, '0') + ' ' + 'x'.repeat(95));
  console.log('LAST before the failure');`;

type Line = { level: string; msg: string };

/**
 * Asserts head + marker + tail: the head is lines 0.., the tail the newest lines up to LAST, the
 * marker counts the lines between, and what is kept costs at most logBytes as the README counts
 * it (each line's JSON text plus 12 bytes; the marker aside).
 */
function assertHeadAndTail(logs: Line[], logBytes: number): void {
  const markers = logs.filter((l) => l.msg.startsWith(TRUNCATION_MARKER));
  assert.equal(markers.length, 1, JSON.stringify(markers));
  const at = logs.indexOf(markers[0]!);
  const head = logs.slice(0, at).map((l) => l.msg);
  const tail = logs.slice(at + 1).map((l) => l.msg);
  assert.deepEqual(head, head.map((_, i) => line(i)), 'the head is the first lines, whole and in order');
  assert.ok(head.length > 100, `${head.length} first lines`);
  assert.equal(tail.at(-1), 'LAST before the failure');
  const first = LINES - (tail.length - 1);
  assert.deepEqual(tail.slice(0, -1), tail.slice(0, -1).map((_, i) => line(first + i)), 'the tail is the newest lines, whole and in order');
  assert.ok(tail.length > 100, `${tail.length} last lines`);
  const leftOut = first - head.length;
  assert.equal(markers[0]!.level, 'warn');
  assert.ok(
    markers[0]!.msg.startsWith(
      `${TRUNCATION_MARKER}: the execution logged more than limits.logBytes (${logBytes} bytes); ` +
        `${leftOut.toLocaleString('en-US')} lines (${(leftOut * 100).toLocaleString('en-US')} bytes) left out here`,
    ),
    markers[0]!.msg,
  );
  const kept = logs.filter((l) => l !== markers[0]).reduce((n, l) => n + Buffer.byteLength(JSON.stringify(l.msg)) + 12, 0);
  assert.ok(kept <= logBytes, `${kept} bytes kept`);
  assert.ok(kept > logBytes * 0.9, `most of the limit is used: ${kept} bytes`);
}

describe('logs over their limit keep the first and the newest lines', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ...FAST_JOBS, AIRLOCK_JOB_CONCURRENCY: '1' });
    await deploy(server, 'acme', 'walkthrough', `export default async () => { ${LOG_LOOP} throw new Error('boom'); };`);
    await deploy(server, 'acme', 'sync', `export default async () => { ${LOG_LOOP} await new Promise((r) => setTimeout(r, 120_000)); };`);
  });
  after(() => server.close());

  it('a run that logs 2000 lines, then LAST, then throws: its answer and record end with LAST', async () => {
    const res = await invoke(server, 'acme', 'walkthrough', {});
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'failed');
    assertHeadAndTail(res.body.logs as Line[], 64 * 1024);
    const rec = await server.request('GET', `/v1/tenants/acme/executions/${res.body.executionId}`);
    assert.equal(rec.status, 200);
    assert.deepEqual(rec.body.logs, res.body.logs);
  });

  it("a running job's live logs show the first lines, the marker and the newest lines", async () => {
    const id = await submit(server, 'acme', 'sync');
    const deadline = Date.now() + 60_000;
    let logs: Line[] = [];
    for (;;) {
      const view = (await server.request('GET', `/v1/tenants/acme/jobs/${id}`)).body as { currentRun?: { logs: Line[] } };
      logs = view.currentRun?.logs ?? [];
      if (logs.at(-1)?.msg === 'LAST before the failure') break;
      if (Date.now() > deadline) assert.fail(`LAST never showed: ${JSON.stringify(logs.slice(-3))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assertHeadAndTail(logs, 64 * 1024);
    assert.equal((await server.request('POST', `/v1/tenants/acme/jobs/${id}/cancel`)).status, 200);
  });
});
