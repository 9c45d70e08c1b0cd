// The server's type-stripping thread, seen from the event loop: strip(source, tenant) hands a
// deployed source to a worker thread (started on first use, one for the server) and resolves
// with the JavaScript or what amaro threw. swc's parser backtracks exponentially on some nestings
// (`<T>(` twenty deep took 5 s, thirty deep would take hours), and it ran on the event loop: one
// deploy of a hundred bytes stopped the whole server. A strip now ends at STRIP_TIMEOUT_MS (the
// thread is ended, SYNTAX_ERROR, the next strip starts a new one), and the thread takes one
// source at a time, tenants in turn, so one tenant's sources delay another's by at most one, and
// at most MAX_QUEUED_PER_TENANT of a tenant wait (then TOO_MANY_REQUESTS, as for the parse check).
import { Worker } from 'node:worker_threads';
import { AirlockError } from '../../core/errors.js';
import { TenantTurns } from '../../core/json-thread/turns.js';
import { MAX_QUEUED_PER_TENANT } from '../node-parse.js';
import type { StripAnswer } from './messages.js';

/** Longest a strip may take (as long as the parse check may): a 5 MiB bundle takes under a second on a 2-core machine. */
export const STRIP_TIMEOUT_MS = 10_000;

/** What a strip came to: the JavaScript, or what amaro threw (a string, or an Error). */
export type StripOutcome = { code: string } | { thrown: unknown };

interface Task {
  tenant: string;
  source: string;
  resolve: (outcome: StripOutcome) => void;
  reject: (err: Error) => void;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** swc failed (not a parse error): an Error named like the WebAssembly trap, for stripError. */
function swcError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

export class StripThread {
  readonly #timeoutMs: number;
  readonly #waiting = new TenantTurns<Task>();
  /** Sources waiting, by tenant (the one with the thread not counted). */
  readonly #queued = new Map<string, number>();
  #worker: Worker | undefined;
  #current: { id: number; task: Task; timer: NodeJS.Timeout } | undefined;
  #nextId = 1;

  constructor(timeoutMs = STRIP_TIMEOUT_MS) {
    this.#timeoutMs = timeoutMs;
  }

  strip(source: string, tenant: string): Promise<StripOutcome> {
    const queued = this.#queued.get(tenant) ?? 0;
    if (queued >= MAX_QUEUED_PER_TENANT) {
      return Promise.reject(
        new AirlockError(
          'TOO_MANY_REQUESTS',
          `${MAX_QUEUED_PER_TENANT} deploys of tenant ${tenant} are already waiting for their type stripping; deploy again in a moment`,
          { retryAfterSeconds: 1 },
        ),
      );
    }
    this.#queued.set(tenant, queued + 1);
    return new Promise<StripOutcome>((resolve, reject) => {
      this.#waiting.add(tenant, { tenant, source, resolve, reject });
      this.#sendNext();
    });
  }

  /** Gives the thread the next source, tenants in turn, when it holds none. */
  #sendNext(): void {
    if (this.#current !== undefined) return;
    const task = this.#waiting.next();
    if (task === undefined) {
      this.#waiting.reset();
      // An idle thread never keeps the process alive.
      this.#worker?.unref();
      return;
    }
    const left = (this.#queued.get(task.tenant) ?? 1) - 1;
    if (left === 0) this.#queued.delete(task.tenant);
    else this.#queued.set(task.tenant, left);
    const worker = this.#running();
    worker.ref();
    const id = this.#nextId++;
    const timer = setTimeout(() => this.#timedOut(id), this.#timeoutMs);
    this.#current = { id, task, timer };
    worker.postMessage({ id, source: task.source });
  }

  #running(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(WORKER_URL);
    worker.on('message', (answer: StripAnswer) => this.#answered(answer));
    worker.on('error', (err: Error) => this.#died(worker, err.message));
    worker.on('exit', (code) => this.#died(worker, `it exited with code ${code}`));
    this.#worker = worker;
    return worker;
  }

  #take(id: number): Task | undefined {
    const current = this.#current;
    if (current === undefined || current.id !== id) return undefined;
    this.#current = undefined;
    clearTimeout(current.timer);
    return current.task;
  }

  #answered(answer: StripAnswer): void {
    const task = this.#take(answer.id);
    if (task === undefined) return;
    if ('code' in answer) task.resolve({ code: answer.code });
    else if ('thrown' in answer) task.resolve({ thrown: answer.thrown });
    else if ('trap' in answer) task.resolve({ thrown: swcError('RuntimeError', answer.trap) });
    else task.resolve({ thrown: swcError('Error', answer.failure) });
    this.#sendNext();
  }

  /** The strip ran past its deadline: the thread is ended, the source refused. */
  #timedOut(id: number): void {
    const task = this.#take(id);
    if (task === undefined) return;
    const worker = this.#worker;
    this.#worker = undefined;
    void worker?.terminate();
    task.reject(
      new AirlockError(
        'SYNTAX_ERROR',
        `the deploy's parser (swc, which also checks JavaScript) did not finish this module within ${this.#timeoutMs} ms; ` +
          'its parser backtracks on nested angle-bracket type assertions such as `<T>(<U>(x))`: write `x as T` instead, ' +
          'and flatten the deepest nesting',
      ),
    );
    this.#sendNext();
  }

  /** The thread stopped: the source it held fails, the others go to a new thread. */
  #died(worker: Worker, why: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    const current = this.#current;
    if (current !== undefined) {
      this.#current = undefined;
      clearTimeout(current.timer);
      current.task.reject(new AirlockError('INTERNAL', `the server's type stripper stopped while reading this module (${why}); deploy it again`));
    }
    this.#sendNext();
  }
}
