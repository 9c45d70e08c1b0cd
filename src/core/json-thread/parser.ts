// The server's JSON parser thread, seen from the event loop: parse(body, tenant) hands a large
// request body (or a stored job payload) to a worker thread (started on first use, one for the
// server) and resolves with what it made of it, or rejects with the refusal the event loop would
// have made; readFrame(bytes, tenant, depth) does the same for a large frame from a sandbox
// (sandbox-frame.ts). The thread takes one
// body at a time, tenants in turn (turns.ts), so one tenant's stream of large bodies delays another
// tenant's by at most one body. If the thread dies (its memory, a bug), the body it held fails
// with INTERNAL and the next body starts a new thread. close() ends it.
import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';
import { AirlockError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FrameRequest, ParseAnswer, ParseRequest } from './messages.js';
import type { ReadSandboxFrame } from './sandbox-frame.js';
import type { ParsedInputBody } from './split.js';
import { TenantTurns } from './turns.js';

export type { ParsedInputBody } from './split.js';
export type { CheckedResultText, ReadSandboxFrame } from './sandbox-frame.js';

/** The body split by the thread, and which thread it was (the event loop's is 0). */
export type ParsedOffThread = ParsedInputBody & { threadId: number };

export interface InputBodyParser {
  /** `body`: a request body's bytes, or JSON text; `tenant`: whose turn it waits for. */
  parse(body: Buffer | string, tenant: string): Promise<ParsedOffThread>;
}

/** Reads large frames from sandboxes off the event loop (see ChannelOptions.frameReader). */
export interface SandboxFrameReader {
  /** `body`: the frame's bytes (handed over: the caller must not use them after); rejects if the thread failed. */
  readFrame(body: Buffer, tenant: string, maxResultDepth: number): Promise<ReadSandboxFrame>;
}

interface Task {
  request: Omit<ParseRequest, 'id'> | Omit<FrameRequest, 'id'>;
  settle: (answer: ParseAnswer) => void;
  reject: (err: Error) => void;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

const shuttingDown = (): AirlockError =>
  new AirlockError('SHUTTING_DOWN', 'the server is shutting down; send the request again once it is back');

export class OffThreadInputParser implements InputBodyParser, SandboxFrameReader {
  readonly #maxDepth: number;
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #waiting = new TenantTurns<Task>();
  #worker: Worker | undefined;
  /** The body the thread is reading, if any. */
  #current: { id: number; task: Task } | undefined;
  #nextId = 1;
  #closed = false;

  /** `resourceLimits` bounds the thread's heap (default: as the event loop's). */
  constructor(options: { maxDepth: number; logger: Pick<Logger, 'warn'>; resourceLimits?: ResourceLimits }) {
    this.#maxDepth = options.maxDepth;
    this.#logger = options.logger;
    this.#resourceLimits = options.resourceLimits;
  }

  parse(body: Buffer | string, tenant: string): Promise<ParsedOffThread> {
    if (this.#closed) return Promise.reject(shuttingDown());
    return new Promise<ParsedOffThread>((resolve, reject) => {
      const settle = (answer: ParseAnswer): void => {
        if ('body' in answer) resolve({ ...answer.body, threadId: answer.threadId });
        else if ('refusal' in answer) reject(new AirlockError(answer.refusal.code, answer.refusal.message));
        else reject(new AirlockError('INTERNAL', `the server could not read this request body (${'failure' in answer ? answer.failure : 'unexpected answer'}); send it again`));
      };
      this.#waiting.add(tenant, { request: { kind: 'body', body: ownBytes(body), maxDepth: this.#maxDepth }, settle, reject });
      this.#sendNext();
    });
  }

  readFrame(body: Buffer, tenant: string, maxResultDepth: number): Promise<ReadSandboxFrame> {
    if (this.#closed) return Promise.reject(shuttingDown());
    return new Promise<ReadSandboxFrame>((resolve, reject) => {
      const settle = (answer: ParseAnswer): void => {
        if ('frame' in answer) resolve(answer.frame);
        else reject(new Error(`the parser thread could not read a sandbox frame (${'failure' in answer ? answer.failure : 'unexpected answer'})`));
      };
      this.#waiting.add(tenant, { request: { kind: 'frame', body: ownBytes(body) as Uint8Array, maxResultDepth }, settle, reject });
      this.#sendNext();
    });
  }

  /** Ends the thread; bodies still waiting or with it fail with SHUTTING_DOWN. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    const current = this.#current;
    this.#current = undefined;
    current?.task.reject(shuttingDown());
    for (const task of this.#waiting.drain()) task.reject(shuttingDown());
    if (worker !== undefined) await worker.terminate();
  }

  /** Gives the thread the next body, tenants in turn, when it holds none. */
  #sendNext(): void {
    if (this.#current !== undefined || this.#closed) return;
    const task = this.#waiting.next();
    if (task === undefined) {
      this.#waiting.reset();
      // An idle thread never keeps the process alive.
      this.#worker?.unref();
      return;
    }
    const worker = this.#running();
    worker.ref();
    const id = this.#nextId++;
    this.#current = { id, task };
    const request = { ...task.request, id };
    worker.postMessage(request, typeof request.body === 'string' ? [] : [request.body.buffer as ArrayBuffer]);
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
    const current = this.#current;
    if (current === undefined || current.id !== answer.id) return;
    this.#current = undefined;
    current.task.settle(answer);
    this.#sendNext();
  }

  /** The thread stopped: the body it held fails, the others go to a new thread. */
  #died(worker: Worker, why: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    if (this.#closed) return;
    const current = this.#current;
    this.#current = undefined;
    this.#logger.warn({ why, waiting: this.#waiting.size }, 'the request-body parser thread stopped while reading a body; the next body starts a new one');
    current?.task.reject(
      new AirlockError('INTERNAL', `the server's request-body parser stopped while reading this body (${why}); send the request again, or a smaller input if it keeps failing`),
    );
    this.#sendNext();
  }
}

/**
 * The body's bytes to transfer to the thread: the buffer itself when it has its memory to itself
 * (Buffer.concat of a large body does), else a copy, so that the rest of a shared pool stays here.
 */
function ownBytes(body: Buffer | string): Uint8Array | string {
  if (typeof body === 'string' || (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength)) return body;
  return new Uint8Array(body);
}
