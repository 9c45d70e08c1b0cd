// The GroupOpRunner of the server: one worker thread (op-worker.ts) carries out every cgroupfs
// batch, so group creation and process moves (each can wait milliseconds in the kernel, e.g. for
// an RCU grace period) run beside the event loop instead of on it. The thread starts on the
// first batch, keeps the process alive only while a batch is under way, and is replaced if it
// ever dies (its batches then fail, which fails their placements closed).
import { Worker } from 'node:worker_threads';
import type { OpAnswer, OpRequest } from './op-worker.js';
import type { GroupOp, GroupOpRunner } from './ops.js';

interface Pending {
  resolve(readings: number[]): void;
  reject(err: Error): void;
}

export class WorkerOpRunner implements GroupOpRunner {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** close() waiting for the batches under way. */
  private readonly drainWaiters: (() => void)[] = [];

  run(ops: readonly GroupOp[]): Promise<number[]> {
    if (this.closed) return Promise.reject(new Error('the cgroup worker was closed (the server is stopping)'));
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<number[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, ops } satisfies OpRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (worker === undefined) return;
    if (this.pending.size > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.worker = undefined;
    await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(new URL('./op-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (answer: OpAnswer) => this.settle(answer));
    worker.on('error', (err) => this.fail(worker, err));
    worker.on('exit', (code) => this.fail(worker, new Error(`the cgroup worker thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(answer: OpAnswer): void {
    const entry = this.pending.get(answer.id);
    if (entry === undefined) return;
    this.pending.delete(answer.id);
    if (answer.ok) entry.resolve(answer.readings);
    else entry.reject(Object.assign(new Error(answer.message), { code: answer.code }));
    if (this.pending.size === 0) {
      this.worker?.unref();
      this.drained();
    }
  }

  /** The thread died: every batch it held fails, and the next batch starts a new thread. */
  private fail(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) entry.reject(err);
    this.drained();
  }

  private drained(): void {
    for (const wake of this.drainWaiters.splice(0)) wake();
  }
}
