// The runtime harness: the program that runs INSIDE the sandbox. It is copied alone into the
// sandbox (so it only `import type`s from siblings), reads run frames from the host on fd 3,
// loads each function version's code once (imported from a data: URL whose sourceURL names the
// function, so stack frames read file:///fn/<name>, as errors and logs that quote the URL do),
// calls it with (input, ctx), captures console and stdout/stderr writes into a capped log
// buffer, and answers with one done frame. Runs go one at a time in arrival order: a run frame
// that arrives during a run waits for it.
// Nothing here is trusted by the host: the host re-checks every frame and enforces every limit.
//
// CommonJS on purpose: Node starts a CommonJS entry a few ms faster than an ES module one (the
// ES module loader then starts with the first tenant import, which every sandbox needs anyway).
//
// Usage: node --max-old-space-size=<MiB> harness.cjs <code-dir>
// (<code-dir> is a sandbox-private writable directory; module names in stacks are under it)
const { AsyncLocalStorage } = require('node:async_hooks') as typeof import('node:async_hooks');
const { Socket } = require('node:net') as typeof import('node:net');
const { dirname } = require('node:path') as typeof import('node:path');
const { pathToFileURL } = require('node:url') as typeof import('node:url');
const { format, inspect } = require('node:util') as typeof import('node:util');
const { writeSync } = require('node:fs') as typeof import('node:fs');
import type { CheckpointApi, CheckpointClient } from './checkpoint-client.mjs';
import type { FetchClient } from './fetch-client.mjs';
import type {
  HarnessError,
  HarnessLogEntry,
  HarnessLogLevel,
  HostToSandboxFrame,
  RunFrame,
  SandboxToHostFrame,
} from './protocol.js';

// Captured before any tenant code runs, so tenant monkey-patching cannot reach the harness.
const jsonParse = JSON.parse;
const jsonStringify = JSON.stringify;
const byteLength = Buffer.byteLength;
const bufferFrom = Buffer.from;
const bufferAlloc = Buffer.allocUnsafe;
const bufferConcat = Buffer.concat;
const now = Date.now;
const setTimer = setTimeout;
const clearTimer = clearTimeout;
const exit = process.exit.bind(process);
const stringOf = String;
const nativeFetch = globalThis.fetch;
const TypeErrorClass = TypeError;
const functionSource = Function.prototype.toString;
const reflectApply = Reflect.apply;
/**
 * globalThis.fetch of a run without an egress grant: Node's own, which can only fail (the sandbox
 * has no network), with a failure that says why and how to grant egress instead of a bare
 * "fetch failed" or ECONNREFUSED. Runs granted egress get the brokered fetch (fetch-client.mts).
 */
const ungrantedFetch: typeof fetch = async (input, init) => {
  try {
    return await nativeFetch(input, init);
  } catch (err) {
    if (!(err instanceof TypeErrorClass)) throw err;
    throw new TypeErrorClass(
      `${err.message}: this function has no egress grant, so its sandbox has no network; deploy it with an ` +
        'egress policy naming the hosts it may reach (airlock deploy … --egress @policy.json, see docs/egress.md) ' +
        'and call ctx.fetch or fetch',
      { cause: err },
    );
  }
};
globalThis.fetch = ungrantedFetch;
// Request and Response are lazy getters that load Node's whole fetch implementation (~50 ms):
// keep the getters (tenant code cannot swap them) and call them only for a run granted egress.
const lazyGlobal = <T,>(name: 'Request' | 'Response'): (() => T) => {
  const desc = Object.getOwnPropertyDescriptor(globalThis, name);
  const getter = desc?.get;
  const value = desc?.value as T;
  return getter === undefined ? () => value : () => getter.call(globalThis) as T;
};
const requestClass = lazyGlobal<typeof Request>('Request');
const responseClass = lazyGlobal<typeof Response>('Response');

const CODE_DIR = process.argv[2] ?? '/fn';
const CODE_URL_PREFIX = pathToFileURL(CODE_DIR).href + '/';
/** The harness and its sibling modules: their stack frames are never shown (file paths and URLs contain it). */
const HARNESS_DIR = dirname(__filename) + '/';
/** Caps on error fields so an error frame stays small whatever the tenant throws. */
const MAX_ERROR_TYPE = 200;
const MAX_ERROR_MESSAGE = 8 * 1024;
const MAX_ERROR_STACK = 16 * 1024;
/** Per-entry framing overhead counted against the log budget (["level",...],). */
const LOG_ENTRY_OVERHEAD = 12;
/**
 * Log lines of a run still in progress go to the host at most this long after they were written
 * (a `logs` frame), so a run the host then stops (its deadline, a crash) keeps them, and their
 * times are close to when they were written. Quick runs send theirs with the answer alone.
 */
const LOG_FLUSH_MS = 50;

type TenantModule = Record<string, unknown>;
type Handler = (input: unknown, ctx: unknown) => unknown;

class HarnessFailure extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

// ---------------------------------------------------------------- frame channel (fd 3)

const channel = new Socket({ fd: 3, readable: true, writable: true });
let pending: Buffer[] = [];
let pendingBytes = 0;
// Frames from the host are trusted (the host is the boundary); a malformed one ends the sandbox.

function send(json: string): void {
  const body = bufferFrom(json, 'utf8');
  const head = bufferAlloc(4);
  head.writeUInt32BE(body.length, 0);
  channel.write(bufferConcat([head, body]));
}

function sendFrame(frame: SandboxToHostFrame): void {
  send(jsonStringify(frame));
}

channel.on('data', (chunk: Buffer) => {
  pending.push(chunk);
  pendingBytes += chunk.length;
  while (pendingBytes >= 4) {
    // Concatenate only once a whole frame is there (inputs can be megabytes in many chunks).
    const head = pending[0]!.length >= 4 ? pending[0]! : bufferConcat(pending);
    const length = head.readUInt32BE(0);
    if (pendingBytes < 4 + length) return;
    const all = pending.length === 1 ? pending[0]! : bufferConcat(pending);
    const body = all.subarray(4, 4 + length);
    const rest = all.subarray(4 + length);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
    onFrame(body);
  }
});
// The host went away: nothing left to do.
channel.on('end', () => exit(0));
channel.on('error', () => exit(0));

// The host may send the next run while one is in progress (back to back, which saves the
// sandbox a sleep and a wake-up per call); it starts once the one before has answered.
const waitingRuns: RunFrame[] = [];
let running = false;

function startNextRun(): void {
  const next = waitingRuns.shift();
  running = next !== undefined;
  if (next !== undefined) void handleRun(next);
}

let greeted = false;

function onFrame(body: Buffer): void {
  let frame: HostToSandboxFrame;
  try {
    frame = jsonParse(body.toString('utf8')) as HostToSandboxFrame;
  } catch {
    exit(70);
    return;
  }
  if (frame === null || typeof frame !== 'object') {
    exit(70);
    return;
  }
  if (frame.t === 'fetched') {
    fetchClient?.onFetched(frame);
    return;
  }
  if (frame.t === 'checkpointed') {
    checkpointClient?.onCheckpointed(frame);
    return;
  }
  if (frame.t === 'cancel') {
    const at = waitingRuns.findIndex((run) => run.id === frame.id);
    if (at >= 0) {
      const [dropped] = waitingRuns.splice(at, 1);
      // The host counts its code as sent: a later run of that version comes without it.
      if (dropped?.fn.code !== undefined && !modules.has(dropped.fn.version)) unloadedCode.set(dropped.fn.version, dropped.fn.code);
      sendFrame({ t: 'cancelled', id: stringOf(frame.id) });
    }
    return;
  }
  if (frame.t === 'hello' && !greeted) {
    greeted = true;
    if (frame.prewarm === true) {
      running = true; // the warm-up runs go first
      void warmLoader().then(() => {
        sendFrame({ t: 'ready' });
        startNextRun();
      });
    } else sendFrame({ t: 'ready' });
    return;
  }
  if (frame.t !== 'run' || !greeted) {
    exit(70);
    return;
  }
  waitingRuns.push(frame);
  if (!running) startNextRun();
}

// ---------------------------------------------------------------- log capture

interface Capture {
  id: string;
  /** The warm-up run's answer is built like any other, then dropped instead of sent. */
  discard: boolean;
  entries: HarnessLogEntry[];
  bytes: number;
  cap: number;
  truncated: boolean;
  /** The run was granted egress (fetch is withdrawn when it answers). */
  egress: boolean;
  /** A job run (ctx.checkpoint is withdrawn when it answers). */
  job: boolean;
  /** Armed by the first entry not yet sent (see LOG_FLUSH_MS). */
  flushTimer: ReturnType<typeof setTimeout> | undefined;
}

let current: Capture | null = null;

// The run whose code is executing. Work a finished run left behind (timers, intervals, pending
// promises) still carries that run's capture: its output and errors are dropped, never charged
// to the run in progress. Code with no run context (none should exist) counts as current.
const runContext = new AsyncLocalStorage<Capture>();

function ownedBy(cap: Capture): boolean {
  const owner = runContext.getStore();
  return owner === undefined || owner === cap;
}

function record(level: HarnessLogLevel, msg: string): void {
  const cap = current;
  if (cap === null || cap.truncated || !ownedBy(cap)) return; // outside a run, full, or stale: dropped
  let text = tidyLogText(msg);
  let cost = byteLength(jsonStringify(text), 'utf8') + LOG_ENTRY_OVERHEAD;
  if (cap.bytes + cost > cap.cap) {
    // Keep the prefix that still fits, then stop capturing for this run.
    cap.truncated = true;
    const room = cap.cap - cap.bytes - LOG_ENTRY_OVERHEAD;
    if (room <= 2) return;
    text = text.slice(0, room);
    cost = byteLength(jsonStringify(text), 'utf8') + LOG_ENTRY_OVERHEAD;
    while (cap.bytes + cost > cap.cap && text.length > 0) {
      text = text.slice(0, Math.floor(text.length / 2));
      cost = byteLength(jsonStringify(text), 'utf8') + LOG_ENTRY_OVERHEAD;
    }
    if (text.length === 0) return;
  }
  cap.entries[cap.entries.length] = [level, text];
  cap.bytes += cost;
  if (cap.flushTimer === undefined && !cap.discard) cap.flushTimer = setTimer(flushLogs, LOG_FLUSH_MS, cap);
}

/** Sends the entries a run in progress has written so far (they leave its done frame). */
function flushLogs(cap: Capture): void {
  cap.flushTimer = undefined;
  if (current !== cap || cap.entries.length === 0) return;
  send(logsFrame(cap));
  cap.entries = [];
}

function logsFrame(cap: Capture): string {
  return `{"t":"logs","id":${jsonStringify(cap.id)},"logs":${jsonStringify(cap.entries)}}`;
}

// A run that ends the process (process.exit) still hands over what it logged: written at once,
// unless earlier frames are still queued on the channel (they would be overtaken).
process.on('exit', () => {
  const cap = current;
  if (cap === null || cap.discard || cap.entries.length === 0 || channel.writableLength > 0) return;
  const body = bufferFrom(logsFrame(cap), 'utf8');
  const head = bufferAlloc(4);
  head.writeUInt32BE(body.length, 0);
  try {
    writeSync(3, bufferConcat([head, body]));
  } catch {
    // the host is gone, or the channel is full: the lines are lost with the sandbox
  }
});

function formatArgs(args: unknown[]): string {
  try {
    return format(...args);
  } catch (err) {
    return `[unformattable log arguments: ${safeMessage(err)}]`;
  }
}

function installConsole(): void {
  const levels: Record<string, HarnessLogLevel> = {
    log: 'info',
    info: 'info',
    debug: 'debug',
    trace: 'debug',
    warn: 'warn',
    error: 'error',
  };
  const target = console as unknown as Record<string, unknown>;
  for (const [method, level] of Object.entries(levels)) {
    target[method] = (...args: unknown[]) => record(level, formatArgs(args));
  }
  target.dir = (obj: unknown) => record('info', inspect(obj));
  const writer = (level: HarnessLogLevel) =>
    function write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
      const text =
        typeof chunk === 'string'
          ? chunk
          : chunk instanceof Uint8Array
            ? bufferFrom(chunk).toString('utf8')
            : stringOf(chunk);
      record(level, text.endsWith('\n') ? text.slice(0, -1) : text);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    };
  (process.stdout as unknown as { write: unknown }).write = writer('stdout');
  (process.stderr as unknown as { write: unknown }).write = writer('stderr');
}

// ---------------------------------------------------------------- errors

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) + '…' : text;
}

function safeMessage(err: unknown): string {
  try {
    if (err instanceof Error) return stringOf(err.message);
    return stringOf(err);
  } catch {
    return '[unprintable]';
  }
}

/** Keeps the message lines and the frames that point into tenant modules. */
function trimStack(stack: string): string {
  const kept: string[] = [];
  for (const line of stack.split('\n')) {
    const isFrame = /^\s+at /.test(line);
    if (!isFrame || line.includes(CODE_URL_PREFIX) || line.includes(CODE_DIR + '/')) {
      kept.push(line);
    }
  }
  return kept.join('\n');
}

const FRAME_LINE = '\n    at ';
/** A stack frame line in Node's internals (node:internal/…, node:events, …). */
const INTERNAL_FRAME = /^\s+at (?:.*[( ])?node:/;

/**
 * A log line as the tenant should see it: a logged error's stack (console.error(err),
 * ctx.log.error('…', err)) without the frames of the harness and of Node's internals, as a thrown
 * error's, and without the data: URLs tenant modules are imported from.
 */
function tidyLogText(text: string): string {
  let out = text.includes(MODULE_DATA_URL) ? hideModuleUrls(text) : text;
  if (out.includes(FRAME_LINE)) {
    out = out
      .split('\n')
      .filter((line) => !/^\s+at /.test(line) || line.includes(CODE_URL_PREFIX) || !(line.includes(HARNESS_DIR) || INTERNAL_FRAME.test(line)))
      .join('\n');
  }
  return out;
}

/**
 * Where every tenant module is imported from (importSource): a data: URL whose `fn` parameter
 * names the module, so it is recognized from its start, even where a message cut it short.
 */
const MODULE_DATA_URL = 'data:text/javascript;fn=';
/** One such URL, with the "'... 12345 more characters" util.inspect writes after a long string it cuts. */
const MODULE_DATA_URLS = /data:text\/javascript;fn=([\w.-]+);base64,[A-Za-z0-9+/]*={0,2}('\.\.\. \d+ more characters?)?/g;
/** Node's message for an import a data: URL module cannot resolve (bare, relative, absolute path). */
const UNRESOLVED_IMPORT = /Failed to resolve module specifier "((?:[^"\\]|\\.)*)" from "([^"]*)"(?:: Invalid relative URL or base scheme is not hierarchical\.)?/g;
const MISSING_FILE = /(Cannot find module '[^']*' imported from \S+)/g;
const BUNDLE_HINT =
  "only Node's built-in modules (e.g. \"node:crypto\") can be imported in the sandbox; bundle the function and its " +
  'dependencies into one ES module and deploy that file, e.g. `npx esbuild fn.ts --bundle --format=esm --platform=node --outfile=fn.js`';

/**
 * Replaces the data: URL of a tenant module (kilobytes of base64 in Node's module errors) with
 * the module's file:///fn/<name>, and says what to do about an import that cannot resolve.
 */
function hideModuleUrls(text: string): string {
  if (!text.includes(MODULE_DATA_URL)) return text;
  return text
    .replace(MODULE_DATA_URLS, (_url, name: string, cut: string | undefined) => `${CODE_URL_PREFIX}${name}${cut === undefined ? '' : "'"}`)
    .replace(UNRESOLVED_IMPORT, (_all, specifier: string, from: string) => `Cannot import "${specifier}" from ${from}: ${BUNDLE_HINT}`)
    .replace(MISSING_FILE, `$1: ${BUNDLE_HINT}`);
}

/** Causes and aggregated errors, written into the message they would otherwise be lost from. */
const MAX_CAUSES = 3;
const MAX_AGGREGATED = 5;

function briefly(err: unknown): string {
  if (err !== null && typeof err === 'object' && 'message' in err) {
    const name = (err as { name?: unknown }).name;
    return `${typeof name === 'string' && name !== '' ? name : 'Error'}: ${stringOf((err as { message: unknown }).message)}`;
  }
  return inspect(err, { depth: 1, breakLength: Infinity });
}

/**
 * " (caused by TypeError: …, caused by …)" for an error with a `cause` (fetch failures keep the
 * reason there), and "; errors: …" for an AggregateError; "" otherwise.
 */
function related(err: unknown): string {
  let out = '';
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0) {
    const shown = errors.slice(0, MAX_AGGREGATED).map(briefly).join('; ');
    out += `; errors: ${shown}${errors.length > MAX_AGGREGATED ? `; and ${errors.length - MAX_AGGREGATED} more` : ''}`;
  }
  const causes: string[] = [];
  let cause = (err as { cause?: unknown }).cause;
  for (let i = 0; i < MAX_CAUSES && cause !== undefined && cause !== null; i++) {
    causes.push(briefly(cause));
    cause = (cause as { cause?: unknown }).cause;
  }
  if (causes.length > 0) out += ` (caused by ${causes.join(', caused by ')})`;
  return out;
}

function toHarnessError(err: unknown): HarnessError {
  if (err instanceof HarnessFailure) return { type: err.type, message: err.message };
  try {
    if (err !== null && typeof err === 'object' && 'message' in err) {
      const obj = err as { name?: unknown; message?: unknown; stack?: unknown };
      const ctorName = (err as { constructor?: { name?: unknown } }).constructor?.name;
      // `class QuotaError extends Error {}` keeps name 'Error': prefer the class name then.
      const ownName = typeof obj.name === 'string' && obj.name !== '' ? obj.name : undefined;
      const name =
        (ownName === undefined || ownName === 'Error') && typeof ctorName === 'string' && ctorName !== ''
          ? ctorName
          : ownName;
      const out: HarnessError = {
        type: clip(typeof name === 'string' && name !== '' ? name : 'Error', MAX_ERROR_TYPE),
        message: clip(hideModuleUrls(stringOf(obj.message) + related(err)), MAX_ERROR_MESSAGE),
      };
      if (typeof obj.stack === 'string') out.stack = clip(hideModuleUrls(trimStack(obj.stack)), MAX_ERROR_STACK);
      return out;
    }
    return {
      type: 'NonErrorThrown',
      message: clip(hideModuleUrls(`the function threw a non-Error value: ${inspect(err, { depth: 2 })}`), MAX_ERROR_MESSAGE),
    };
  } catch {
    return { type: 'NonErrorThrown', message: 'the function threw a value that cannot be described' };
  }
}

// ---------------------------------------------------------------- module loading

const modules = new Map<string, Promise<TenantModule>>();
/** Code that came with a run the host took back before it started, by version: not loaded yet. */
const unloadedCode = new Map<string, string>();

function safeName(text: string, max: number): string {
  const cleaned = text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, max);
  return cleaned === '' ? 'fn' : cleaned;
}

/**
 * Imports module source from a data: URL (a third of the cost of writing a file and importing
 * it). The appended sourceURL names it in stack traces as file:///fn/<name>, and the URL's `fn`
 * parameter lets errors that quote the URL name it the same way (hideModuleUrls); since the name
 * carries the version, every version is its own module even when two share their code.
 */
function importSource(code: string, name: string): Promise<TenantModule> {
  const source = `${code}\n//# sourceURL=${CODE_URL_PREFIX}${name}\n`;
  return import(`${MODULE_DATA_URL}${name};base64,${bufferFrom(source, 'utf8').toString('base64')}`) as Promise<TenantModule>;
}

function loadModule(fn: RunFrame['fn']): Promise<TenantModule> {
  const cached = modules.get(fn.version);
  if (cached !== undefined && fn.code === undefined) return cached;
  const code = fn.code ?? unloadedCode.get(fn.version);
  unloadedCode.delete(fn.version);
  if (code === undefined) {
    return Promise.reject(
      new HarnessFailure('CodeNotLoaded', `version ${fn.version} was never sent to this sandbox`),
    );
  }
  const loading = importSource(code, `${safeName(fn.name, 64)}.${safeName(fn.version, 12)}.mjs`);
  modules.set(fn.version, loading);
  return loading;
}

const HANDLER_SHAPES = 'the function module must `export default async function (input, ctx)` or `export async function handler(input, ctx)`';

/** "a number", "an object", "null", "an array": what a non-function export is. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const kind = typeof value;
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

function pickHandler(mod: TenantModule): Handler {
  const candidate = typeof mod.default === 'function' ? mod.default : mod.handler;
  if (typeof candidate === 'function') return candidate as Handler;
  const names = Object.keys(mod);
  const present = (['default', 'handler'] as const).filter((n) => mod[n] !== undefined);
  const exported =
    present.length > 0
      ? `${present.map((n) => `its ${n} export is ${kindOf(mod[n])}`).join(' and ')}, not a function`
      : `it exports ${names.length > 0 ? names.join(', ') : 'nothing'}`;
  throw new HarnessFailure('MissingHandler', `${HANDLER_SHAPES}; ${exported}`);
}

/** True for a class (which cannot be called without `new`); only asked once a call has thrown. */
function isClass(fn: Handler): boolean {
  try {
    return /^class\b/.test(reflectApply(functionSource, fn, []) as string);
  } catch {
    return false;
  }
}

/**
 * Calls the handler. A class exported as the handler throws at once ("Class constructor … cannot
 * be invoked without 'new'"), which becomes MissingHandler; telling a class apart costs nothing
 * until then.
 */
function callHandler(mod: TenantModule, handler: Handler, input: unknown, ctx: RunContext): unknown {
  try {
    return handler(input, ctx);
  } catch (err) {
    if (!isClass(handler)) throw err;
    const which = mod.default === handler ? 'default' : 'handler';
    const name = typeof handler.name === 'string' && handler.name !== '' && handler.name !== 'default' ? handler.name : 'Handler';
    throw new HarnessFailure(
      'MissingHandler',
      `${HANDLER_SHAPES}; its ${which} export is a class (${name}), not a function, and a class cannot be called ` +
        `without \`new\`: export a function that uses it instead, e.g. \`export ${which === 'default' ? 'default async function (input, ctx)' : 'async function handler(input, ctx)'} ` +
        `{ return new ${name === 'handler' ? 'Handler' : name}().run(input, ctx); }\``,
    );
  }
}

// ---------------------------------------------------------------- results

function serializeResult(result: unknown, limit: number): string | undefined {
  if (result === undefined) return undefined;
  let json: string | undefined;
  try {
    json = jsonStringify(result, (_key, value: unknown) => {
      const kind = typeof value;
      if (kind === 'function' || kind === 'symbol' || kind === 'bigint') {
        throw new TypeError(`a ${kind} cannot be represented in JSON`);
      }
      return value;
    });
  } catch (err) {
    throw new HarnessFailure(
      'ResultNotSerializable',
      `the function's result is not JSON-serializable (${safeMessage(err)}); ` +
        'return plain objects, arrays, strings, numbers, booleans or null',
    );
  }
  if (json === undefined) return undefined;
  const size = byteLength(json, 'utf8');
  if (size > limit) {
    throw new HarnessFailure(
      'ResultTooLarge',
      `the result is ${size} bytes of JSON, above the limit of ${limit} bytes; return less data ` +
        'or raise limits.resultBytes when deploying the function (up to the operator maximum)',
    );
  }
  return json;
}

// ---------------------------------------------------------------- egress (ctx.fetch)

let fetchClient: FetchClient | undefined;

/** URL of a module copied in beside the harness (ES modules: the harness imports them). */
function siblingUrl(name: string): string {
  return new URL(name, pathToFileURL(__filename)).href;
}

/** Loads the fetch client (a sibling module copied in with the harness) on first use. */
async function loadFetchClient(): Promise<FetchClient> {
  if (fetchClient !== undefined) return fetchClient;
  const mod = (await import(siblingUrl('fetch-client.mjs'))) as typeof import('./fetch-client.mjs');
  fetchClient ??= mod.createFetchClient({
    send, stringify: jsonStringify, bufferFrom, RequestClass: requestClass(), ResponseClass: responseClass(), nativeFetch: ungrantedFetch,
    describe: safeMessage,
  });
  return fetchClient;
}

let checkpointClient: CheckpointClient | undefined;

/** Loads the ctx.checkpoint client (a sibling module, like the fetch client) on the first job run. */
async function loadCheckpointClient(): Promise<CheckpointClient> {
  if (checkpointClient !== undefined) return checkpointClient;
  const mod = (await import(siblingUrl('checkpoint-client.mjs'))) as typeof import('./checkpoint-client.mjs');
  checkpointClient ??= mod.createCheckpointClient({ send, stringify: jsonStringify, parse: jsonParse, byteLength });
  return checkpointClient;
}

// ---------------------------------------------------------------- runs

let finishCurrent: ((err: unknown) => void) | null = null;

function finish(capture: Capture, outcome: { ok: true; json: string | undefined } | { ok: false; error: HarnessError }): void {
  if (current !== capture) return; // already answered
  current = null;
  finishCurrent = null;
  if (capture.flushTimer !== undefined) clearTimer(capture.flushTimer);
  if (capture.egress) fetchClient?.end();
  if (capture.job) checkpointClient?.end();
  const head = `{"t":"done","id":${jsonStringify(capture.id)},`;
  const tail = `"logs":${jsonStringify(capture.entries)},"logsTruncated":${capture.truncated}}`;
  const frame = outcome.ok
    ? head + '"ok":true,' + (outcome.json === undefined ? '' : `"result":${outcome.json},`) + tail
    : head + `"ok":false,"error":${jsonStringify(outcome.error)},` + tail;
  if (capture.discard) return;
  send(frame);
  // Outside this run's call stack (and after its answer is on its way): the next queued run.
  queueMicrotask(startNextRun);
}

/** ctx.log: one shared object; like console, it records into the run in progress. */
const ctxLog = Object.freeze({
  debug: (...args: unknown[]) => record('debug', formatArgs(args)),
  info: (...args: unknown[]) => record('info', formatArgs(args)),
  warn: (...args: unknown[]) => record('warn', formatArgs(args)),
  error: (...args: unknown[]) => record('error', formatArgs(args)),
});

/** Stops a ctx's signal timer once its run has answered (not a method: ctx shows only its contract). */
let endContext: (ctx: RunContext) => void;

/**
 * The ctx handed to the function. `signal` is created on first use: most functions never read
 * it, and an AbortController plus a timer per run is a measurable share of a warm round trip.
 * Its members are the documented ones alone: own fields, and the `signal` getter on a frozen
 * prototype that leads nowhere else (no constructor, no internal methods).
 */
class RunContext {
  readonly executionId: string;
  readonly tenant: string;
  readonly function: string;
  readonly deadline: number;
  readonly log = ctxLog;
  /** Only on runs granted egress. */
  declare readonly fetch?: FetchClient['fetch'];
  /** Only on job runs. */
  declare readonly checkpoint?: CheckpointApi;
  #signalAt: number;
  #controller: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    frame: RunFrame,
    deadline: number,
    fetcher: FetchClient['fetch'] | undefined,
    checkpoint: CheckpointApi | undefined,
  ) {
    this.executionId = frame.id;
    this.tenant = frame.tenant;
    this.function = frame.fn.name;
    this.deadline = deadline;
    this.#signalAt = deadline - (Number(frame.signalLeadMs) || 0);
    if (fetcher !== undefined) Object.defineProperty(this, 'fetch', { value: fetcher, enumerable: true });
    if (checkpoint !== undefined) Object.defineProperty(this, 'checkpoint', { value: checkpoint, enumerable: true });
    Object.freeze(this);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      this.#timer = setTimer(() => {
        controller.abort(new DOMException('the execution deadline is near', 'TimeoutError'));
      }, Math.max(0, this.#signalAt - now()));
    }
    return this.#controller.signal;
  }

  static {
    endContext = (ctx) => {
      if (ctx.#timer !== undefined) clearTimer(ctx.#timer);
    };
  }
}
delete (RunContext.prototype as { constructor?: unknown }).constructor;
Object.freeze(RunContext.prototype);

function handleRun(frame: RunFrame, discard = false): Promise<void> {
  // The time limit counts from now: the frame may have waited behind the run before it.
  const deadline = now() + (Number(frame.timeoutMs) || 0);
  const capture: Capture = {
    id: stringOf(frame.id),
    discard,
    entries: [],
    bytes: 0,
    cap: Number(frame.logBytes) || 0,
    truncated: false,
    egress: false,
    job: false,
    flushTimer: undefined,
  };
  current = capture;
  finishCurrent = (err) => finish(capture, { ok: false, error: toHarnessError(err) });
  return runContext.run(capture, async () => {
    let ctx: RunContext | undefined;
    try {
      let fetcher: FetchClient['fetch'] | undefined;
      if (frame.egress !== undefined) {
        const client = await loadFetchClient();
        capture.egress = true;
        client.begin({ id: capture.id, requestBytes: Number(frame.egress.requestBytes) || 0, owns: () => ownedBy(capture) });
        fetcher = client.fetch;
      }
      let checkpoint: CheckpointApi | undefined;
      if (frame.job !== undefined) {
        const client = await loadCheckpointClient();
        capture.job = true;
        checkpoint = client.begin({ id: capture.id, maxBytes: Number(frame.job.checkpointBytes) || 0, state: frame.job.checkpoint });
      }
      ctx = new RunContext(frame, deadline, fetcher, checkpoint);
      const mod = await loadModule(frame.fn);
      const result = await callHandler(mod, pickHandler(mod), frame.input, ctx);
      finish(capture, { ok: true, json: serializeResult(result, frame.resultBytes) });
    } catch (err) {
      finish(capture, { ok: false, error: toHarnessError(err) });
    } finally {
      if (ctx !== undefined) endContext(ctx);
    }
  });
}

// An exception escaping tenant code fails the current run instead of crashing the sandbox;
// outside a run it is dropped (the host never sees it as anything but silence).
// Errors from work a finished run left behind are dropped too.
process.on('uncaughtException', (err) => {
  if (current !== null && ownedBy(current)) finishCurrent?.(err);
});
process.on('unhandledRejection', (reason) => {
  if (current !== null && ownedBy(current)) finishCurrent?.(reason);
});

/**
 * Loads one empty module through the same path tenant code takes (file in the code dir, dynamic
 * import), so the ESM loader is initialized before ready: a blank sandbox's first call then
 * pays only for the tenant module itself. Best effort: a failure here is the first run's to see.
 */
async function warmLoader(): Promise<void> {
  try {
    // One complete run through the same path a call takes (module import from a data: URL, ctx,
    // console capture, result and error serialization), its answer dropped: V8 compiles lazily,
    // so this moves that first-time cost out of a blank sandbox's first real call.
    const code =
      'export default async (input, ctx) => { console.log("warm", input); void ctx.signal; ' +
      'if (input.fail) throw new Error("warm-up"); return { warm: input }; };';
    const frame: RunFrame = {
      t: 'run', id: 'warmup', tenant: 'warmup', fn: { name: 'warmup', version: 'warmup', code },
      input: { warm: [1, 'up'] }, timeoutMs: 60_000, signalLeadMs: 1_000,
      resultBytes: 1024, logBytes: 1024,
    };
    await handleRun(frame, true);
    await handleRun({ ...frame, id: 'warmup-2', fn: { name: 'warmup', version: 'warmup' }, input: { fail: true } }, true);
    modules.delete('warmup');
  } catch {
    // ignored
  }
}

installConsole();
