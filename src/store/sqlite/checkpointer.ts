// Checkpoints of the SQLite write-ahead log in a worker thread (checkpoint-worker.ts), so the
// event loop never copies pages or waits for the fsyncs a checkpoint does. Connections keep
// SQLite's own autocheckpoint as a backstop (at AUTOCHECKPOINT_PAGES, connection.ts), which the
// background checkpoints keep from ever being reached while they run.
import { Worker } from 'node:worker_threads';

export interface BackgroundCheckpointer {
  stop(): Promise<void>;
}

/** Starts checkpointing `file` every `intervalMs`; resolves once the worker's connection is open. */
export function startCheckpointer(file: string, intervalMs: number): Promise<BackgroundCheckpointer> {
  const worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { file, intervalMs } });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', () => {
      worker.off('error', reject);
      worker.on('error', () => undefined); // a failed checkpoint round is retried; the backstop remains
      resolve({
        async stop() {
          worker.postMessage('stop');
          await exited;
        },
      });
    });
  });
}
