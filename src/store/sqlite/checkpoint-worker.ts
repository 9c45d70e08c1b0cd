// Runs in a worker thread (checkpointer.ts starts it): its own connection to the database moves
// committed frames from the write-ahead log into the database file every `intervalMs` with a
// PASSIVE checkpoint, which never waits for readers or writers. The server's connections then
// almost never checkpoint themselves, which would block the event loop for the copy and two
// fsyncs. Ends when the parent posts 'stop' (after a last checkpoint).
import { parentPort, workerData } from 'node:worker_threads';
import { openConnection } from './connection.js';

interface CheckpointWorkerData {
  file: string;
  intervalMs: number;
}

const { file, intervalMs } = workerData as CheckpointWorkerData;
const db = openConnection(file);

function checkpoint(): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or interrupted: the next round tries again (the connections' own autocheckpoint bounds the log).
  }
}

const timer = setInterval(checkpoint, intervalMs);
parentPort?.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort?.close();
});
parentPort?.postMessage('ready');
