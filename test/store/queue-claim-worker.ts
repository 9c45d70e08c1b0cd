// A worker thread for the concurrent-claim test: opens its own SqliteQueue on the given file,
// claims and completes until the queue is empty (bounded in rounds and time), and posts the ids.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteQueue } from '../../src/store/sqlite/queue/store.js';
import { testPolicy } from '../queue/support.js';

export interface ClaimWorkerResult {
  claimed: string[];
  errors: string[];
}

const { file, owner } = workerData as { file: string; owner: string };
const queue = new SqliteQueue(file, { policy: testPolicy({ slots: 64, tenantConcurrency: 64 }) });
const result: ClaimWorkerResult = { claimed: [], errors: [] };
const deadline = Date.now() + 60_000;
try {
  await queue.migrate();
  let empty = 0;
  for (let round = 0; round < 5_000 && empty < 3 && Date.now() < deadline; round++) {
    const batch = await queue.claim({ owner, max: 4 });
    empty = batch.length === 0 ? empty + 1 : 0;
    for (const c of batch) {
      result.claimed.push(c.item.id);
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
parentPort?.postMessage(result);
