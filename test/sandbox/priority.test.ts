// Background boots: blank pool sandboxes start at low CPU priority so a refill yields to calls in
// flight, and are raised to normal priority, every thread, once ready (before any call).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { SandboxPool } from '../../src/sandbox/pool.js';
import { BACKGROUND_NICE } from '../../src/sandbox/priority.js';
import { descendants } from '../support/process.js';
import { Tracker, assertNoChildren, childrenOf, makeIsolator, request, waitFor } from './support.js';

/** Niceness of every thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

const asRoot = process.getuid?.() === 0;

describe('sandbox CPU priority', { skip: asRoot ? false : 'raising priority back needs root' }, () => {
  after(() => assertNoChildren());

  it('boots a background sandbox at low priority and promote() raises every thread', async () => {
    const tracker = new Tracker('bwrap');
    try {
      const sb = await tracker.spawn(64, { background: true });
      const harness = tracker.footprintOf(sb).innerPid!;
      assert.ok(threadNiceness(sb.pid!).every((n) => n === BACKGROUND_NICE), 'bwrap runs at low priority');
      assert.ok(threadNiceness(harness).every((n) => n === BACKGROUND_NICE), 'every harness thread runs at low priority');
      sb.promote();
      assert.deepEqual([...new Set(threadNiceness(harness))], [0], 'every harness thread is back to normal');
      const out = await sb.run(request('export default () => "ok"'));
      assert.equal(out.result, 'ok');
      const normal = await tracker.spawn();
      assert.ok(threadNiceness(childrenOf(normal.pid!)[0]!).every((n) => n === 0), 'a sandbox for a waiting call boots at normal priority');
    } finally {
      await tracker.cleanup();
    }
  });

  it('the pool boots blank sandboxes in the background and raises each once it is ready', async () => {
    const isolator = makeIsolator('bwrap');
    const pool = new SandboxPool(isolator, { blankSize: 2, maxSandboxes: 4, idleTtlMs: 60_000, maxExecutionsPerSandbox: 100, queueBehind: 3, queueBehindMs: 5, parallelism: 1, spawnConcurrency: 4 }, 64);
    try {
      await pool.warmUp();
      // Ready and not yet handed out: already at normal priority, so a first call pays nothing.
      const harnesses = descendants(process.pid).filter((pid) => /^node/.test(commOf(pid)));
      assert.ok(harnesses.length >= 2, `two blank harness processes, found ${harnesses.length}`);
      for (const pid of harnesses) assert.deepEqual([...new Set(threadNiceness(pid))], [0], `harness ${pid} is at normal priority`);
      const lease = await pool.acquire({ tenant: 'acme', functionName: 'f', scope: 'tenant', memoryMiB: 64 });
      assert.equal(lease.start, 'pool');
      const harness = childrenOf(lease.sandbox.pid!)[0]!;
      assert.deepEqual([...new Set(threadNiceness(harness))], [0]);
      lease.release(true);
      await waitFor('the pool to refill', () => pool.stats().blank === 2);
    } finally {
      await pool.close();
    }
  });
});
