// Main-thread side of the execution writer thread (see execution-writer-worker.ts): sends
// serialized rows, resolves when the batch is committed. The worker is unref'd while idle.
import { Worker } from 'node:worker_threads';
import { AirlockError } from '../../core/errors.js';
import type { ExecutionValues } from './rows.js';

export type WriterRequest = { op: 'insert'; id: number; rows: ExecutionValues[] } | { op: 'close' };
export type WriterReply = { id: number; ok: true } | { id: number; ok: false; message: string };

const WORKER = new URL('./execution-writer-worker.js', import.meta.url);

export class ExecutionWriterThread {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private failure: Error | undefined;

  constructor(file: string, busyTimeoutMs: number) {
    this.worker = new Worker(WORKER, { workerData: { file, busyTimeoutMs } });
    this.worker.unref();
    this.worker.on('message', (reply: WriterReply) => this.onReply(reply));
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`the execution writer thread exited (${code})`)));
  }

  insert(rows: ExecutionValues[]): Promise<void> {
    if (this.failure) return Promise.reject(this.storeError(this.failure.message));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      const request: WriterRequest = { op: 'insert', id, rows };
      this.worker.postMessage(request);
    });
  }

  /** Waits for the batches in flight, then stops the thread. */
  async close(): Promise<void> {
    if (this.failure) return;
    await Promise.allSettled([...this.pending.keys()].map((id) => new Promise<void>((resolve) => {
      const entry = this.pending.get(id);
      if (!entry) return resolve();
      const { resolve: done, reject } = entry;
      entry.resolve = () => (done(), resolve());
      entry.reject = (err) => (reject(err), resolve());
    })));
    this.failure = new Error('the execution writer thread is closed');
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    const request: WriterRequest = { op: 'close' };
    this.worker.postMessage(request);
    await exited;
  }

  private onReply(reply: WriterReply): void {
    const entry = this.pending.get(reply.id);
    if (!entry) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) entry.resolve();
    else entry.reject(this.storeError(reply.message));
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const entry of this.pending.values()) entry.reject(this.storeError(err.message));
    this.pending.clear();
  }

  private storeError(message: string): AirlockError {
    return new AirlockError('INTERNAL', `writing execution records failed: ${message}`);
  }
}
