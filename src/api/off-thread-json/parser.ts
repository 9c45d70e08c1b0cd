// The server's request-body parser thread, seen from the event loop: parse(bytes) hands a large
// body to a worker thread (started on first use, one for the server, bodies taken in turn) and
// resolves with what it made of it, or rejects with the refusal the event loop would have made.
// If the thread dies (its memory, a bug), the bodies it held fail with INTERNAL and the next
// body starts a new thread. close() ends it.
import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';
import { AirlockError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ParseAnswer, ParseRequest } from './messages.js';
import type { ParsedInputBody } from './split.js';

export type { ParsedInputBody } from './split.js';

/** The body split by the thread, and which thread it was (the event loop's is 0). */
export type ParsedOffThread = ParsedInputBody & { threadId: number };

export interface InputBodyParser {
  parse(bytes: Buffer): Promise<ParsedOffThread>;
}

interface Pending {
  resolve: (body: ParsedOffThread) => void;
  reject: (err: Error) => void;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

export class OffThreadInputParser implements InputBodyParser {
  readonly #maxDepth: number;
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #onParsed: () => void;
  readonly #resourceLimits: ResourceLimits | undefined;
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #closed = false;

  /**
   * `onParsed` is called for each body the thread answered (a metric); `resourceLimits` bounds the
   * thread's heap (default: as the event loop's).
   */
  constructor(options: { maxDepth: number; logger: Pick<Logger, 'warn'>; onParsed?: () => void; resourceLimits?: ResourceLimits }) {
    this.#maxDepth = options.maxDepth;
    this.#logger = options.logger;
    this.#onParsed = options.onParsed ?? (() => {});
    this.#resourceLimits = options.resourceLimits;
  }

  parse(bytes: Buffer): Promise<ParsedOffThread> {
    if (this.#closed) return Promise.reject(new AirlockError('SHUTTING_DOWN', 'the server is shutting down; send the request again once it is back'));
    const worker = this.#running();
    const id = this.#nextId++;
    // Transfer the body's memory when the buffer has it to itself (Buffer.concat of a large body
    // does); a slice of a shared pool is copied, so the rest of the pool stays here.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const request: ParseRequest = { id, bytes: whole ? bytes : new Uint8Array(bytes), maxDepth: this.#maxDepth };
    return new Promise<ParsedOffThread>((resolve, reject) => {
      // The thread keeps the process alive while it holds a body, never while idle.
      if (this.#pending.size === 0) worker.ref();
      this.#pending.set(id, { resolve, reject });
      worker.postMessage(request, [request.bytes.buffer as ArrayBuffer]);
    });
  }

  /** Ends the thread; bodies still with it fail with SHUTTING_DOWN. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failAll(new AirlockError('SHUTTING_DOWN', 'the server is shutting down; send the request again once it is back'));
    if (worker !== undefined) await worker.terminate();
  }

  #running(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(WORKER_URL, this.#resourceLimits === undefined ? {} : { resourceLimits: this.#resourceLimits });
    worker.on('message', (answer: ParseAnswer) => this.#answered(answer));
    worker.on('error', (err: Error & { code?: string }) =>
      this.#died(worker, err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'it ran out of memory' : err.message),
    );
    worker.on('exit', (code) => this.#died(worker, `it exited with code ${code}`));
    this.#worker = worker;
    return worker;
  }

  #answered(answer: ParseAnswer): void {
    const pending = this.#pending.get(answer.id);
    if (pending === undefined) return;
    this.#pending.delete(answer.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    this.#onParsed();
    if ('body' in answer) pending.resolve({ ...answer.body, threadId: answer.threadId });
    else if ('refusal' in answer) pending.reject(new AirlockError(answer.refusal.code, answer.refusal.message));
    else pending.reject(new AirlockError('INTERNAL', `the server could not read this request body (${answer.failure}); send it again`));
  }

  #died(worker: Worker, why: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    if (this.#closed) return;
    this.#logger.warn({ why, bodies: this.#pending.size }, 'the request-body parser thread stopped; the next large body starts a new one');
    this.#failAll(
      new AirlockError('INTERNAL', `the server's request-body parser stopped while reading this body (${why}); send the request again`),
    );
  }

  #failAll(err: AirlockError): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(err);
  }
}
