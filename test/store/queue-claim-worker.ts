// A worker thread for the concurrent-claim test: opens its own SqliteQueue on the given file,
// waits at a start barrier for the other threads (so they really claim at the same time), then
// claims and completes, with some work per item in between as a real worker has, until the queue
// is empty (bounded in rounds and time), and posts the ids. Loaded outside a worker thread (the
// test runner loads every file under test/), it does nothing.
import { createHash } from 'node:crypto';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { SqliteQueue } from '../../src/store/sqlite/queue/store.js';
import { testPolicy } from '../queue/support.js';

export interface ClaimWorkerResult {
  claimed: string[];
  errors: string[];
}

interface ClaimWorkerData {
  file: string;
  owner: string;
  /** Int32 arrival counter shared by the threads. */
  barrier: SharedArrayBuffer;
  parties: number;
}

/** Stands in for running the item: CPU work outside any transaction, bounded by count. */
function work(seed: string): string {
  let digest = seed;
  for (let i = 0; i < 300; i++) digest = createHash('sha256').update(digest).digest('hex');
  return digest;
}

function waitForAll(barrier: SharedArrayBuffer, parties: number, deadline: number): void {
  const arrived = new Int32Array(barrier);
  Atomics.add(arrived, 0, 1);
  Atomics.notify(arrived, 0);
  for (let seen = Atomics.load(arrived, 0); seen < parties && Date.now() < deadline; seen = Atomics.load(arrived, 0)) {
    Atomics.wait(arrived, 0, seen, 1_000);
  }
}

async function run({ file, owner, barrier, parties }: ClaimWorkerData): Promise<ClaimWorkerResult> {
  const queue = new SqliteQueue(file, { policy: testPolicy({ slots: 64, tenantConcurrency: 64 }) });
  const result: ClaimWorkerResult = { claimed: [], errors: [] };
  const deadline = Date.now() + 60_000;
  try {
    await queue.migrate();
    waitForAll(barrier, parties, deadline);
    let empty = 0;
    for (let round = 0; round < 5_000 && empty < 3 && Date.now() < deadline; round++) {
      const batch = await queue.claim({ owner, max: 4 });
      empty = batch.length === 0 ? empty + 1 : 0;
      for (const c of batch) {
        result.claimed.push(c.item.id);
        work(c.item.id);
        try {
          await queue.complete(c.lease, owner);
        } catch (err) {
          result.errors.push((err as Error).message);
        }
      }
    }
  } finally {
    await queue.close();
  }
  return result;
}

if (!isMainThread && parentPort !== null) {
  parentPort.postMessage(await run(workerData as ClaimWorkerData));
}
