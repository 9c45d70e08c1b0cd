// Has V8 parse a function module in a worker thread (node-parse-worker.ts): the only parser that
// agrees with the sandbox's Node on every early error and on which new syntax it can run. The
// module is compiled, never linked or evaluated: none of it runs on the host. One thread serves
// every deploy; it starts on the first parse, keeps the process alive only while a parse is under
// way, and is replaced if it dies or a parse outlasts PARSE_DEADLINE_MS (its parses then fail
// closed: the deploy is refused, never let through unchecked).
import { Worker } from 'node:worker_threads';
import { AirlockError } from '../core/errors.js';
import type { ParseAnswer, ParseRequest } from './node-parse-protocol.js';

export type NodeParseError = NonNullable<ParseAnswer['error']>;

/** A parse of the largest module takes well under a second; past this the thread is replaced. */
const PARSE_DEADLINE_MS = 10_000;

/** The thread's heap: room for parsing a multi-megabyte bundle, bounded all the same. */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 32 };

interface Pending {
  resolve(error: NodeParseError | undefined): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

class NodeParser {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** V8's error for `code` as an ES module, or undefined when it parses. */
  parse(code: string): Promise<NodeParseError | undefined> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(worker, `it took over ${PARSE_DEADLINE_MS / 1000} s`);
        void worker.terminate();
      }, PARSE_DEADLINE_MS);
      this.pending.set(id, { resolve, reject, timer });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, code } satisfies ParseRequest);
    });
  }

  private start(): Worker {
    const worker = new Worker(new URL('./node-parse-worker.js', import.meta.url), {
      // SourceTextModule is behind this flag in Node 20; it applies to this thread only.
      execArgv: ['--experimental-vm-modules', '--no-warnings'],
      resourceLimits: RESOURCE_LIMITS,
      env: {},
    });
    worker.unref();
    worker.on('message', (answer: ParseAnswer) => this.settle(answer));
    worker.on('error', (err) => this.fail(worker, err.message));
    worker.on('exit', (code) => this.fail(worker, `the thread exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  private settle(answer: ParseAnswer): void {
    const entry = this.pending.get(answer.id);
    if (entry === undefined) return;
    this.pending.delete(answer.id);
    clearTimeout(entry.timer);
    entry.resolve(answer.error);
    if (this.pending.size === 0) this.worker?.unref();
  }

  /** The thread died or hung: every parse it held fails, and the next parse starts a new thread. */
  private fail(worker: Worker, why: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.reject(
        new AirlockError(
          'INTERNAL',
          `the deploy-time syntax check could not finish (${why}); the function was not deployed. ` +
            'Deploy it again; if this keeps happening, report it with the server log',
        ),
      );
    }
  }
}

const shared = new NodeParser();

/** V8's error for `code` as an ES module, or undefined when it parses. Throws INTERNAL (fail closed). */
export function parseWithNode(code: string): Promise<NodeParseError | undefined> {
  return shared.parse(code);
}
