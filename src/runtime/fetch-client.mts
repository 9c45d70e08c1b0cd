// The sandbox end of ctx.fetch: runs INSIDE the sandbox, next to the harness, which imports it
// the first time a run is granted egress (so sandboxes that never use egress never load it).
// A request becomes a `fetch` frame to the host; the host's broker decides and performs it and
// answers with a `fetched` frame, which becomes a standard Response (or a TypeError carrying an
// EGRESS_* code). Aborting a request sends a `fetch-abort` frame, so the host stops it too.
// At most maxInFlight requests have a frame out unanswered (beyond that the host ends the run as
// a protocol violation); more wait here, in call order, until one of those settles.
// Nothing here is trusted by the host. Types only from siblings: it is copied into the sandbox
// alone, like the harness.
import type { FetchedFrame } from './protocol.js';

/** What the harness captured before any tenant code ran. */
export interface FetchClientDeps {
  send(json: string): void;
  /** JSON text of a frame the client built (harness/frame-json.ts: never calls a toJSON). */
  stringify: (value: unknown) => string;
  bufferFrom: typeof Buffer.from;
  RequestClass: typeof Request;
  ResponseClass: typeof Response;
  /** globalThis.fetch of runs without a grant (the harness's wrapper of Node's), restored when a granted run ends. */
  nativeFetch: typeof fetch;
  describe(err: unknown): string;
}

export interface FetchClient {
  /** The function handed out as ctx.fetch and globalThis.fetch. */
  readonly fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /**
   * A run granted egress starts: fetch works and is installed as globalThis.fetch. `owns` says
   * whether the code calling fetch belongs to this run (work an earlier run of another function
   * left behind must not use this run's grant).
   */
  begin(run: { id: string; requestBytes: number; maxInFlight: number; owns: () => boolean }): void;
  /** The run ended: fetch is withdrawn and requests still waiting (sent or queued) are rejected. */
  end(): void;
  onFetched(frame: FetchedFrame): void;
}

function egressError(code: string, message: string): TypeError {
  return Object.defineProperty(new TypeError(message), 'code', { value: code, enumerable: true });
}

/**
 * A URL with a user name or password (https://user:pass@host/): the Fetch standard refuses it with
 * a bare TypeError; this one has its code and says where credentials go instead.
 */
function refuseUrlCredentials(input: RequestInfo | URL): void {
  const text = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
  if (text === undefined || !text.includes('@')) return;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return; // not an absolute URL: the Request refuses it as fetch would
  }
  if (url.username === '' && url.password === '') return;
  throw egressError(
    'EGRESS_DENIED',
    'the URL holds a user name or password, which fetch never sends: send credentials in a header instead, from a secret ' +
      "(store \"Basic \" + base64(\"user:password\") as a secret and send headers: { authorization: '{{secrets.NAME}}' }; docs/egress.md)",
  );
}

/**
 * The signal the caller passed: `init.signal` when given (null: none), else the signal of a
 * Request passed as input. Listened on directly, never through `new Request(…).signal`: in Node
 * 20 that one follows the caller's signal only through a WeakRef, so once the Request is garbage
 * collected an abort never reaches it and the request would run on to its end.
 */
function callerSignal(input: RequestInfo | URL, init: RequestInit | undefined, RequestClass: typeof Request): AbortSignal | undefined {
  if (init !== undefined && init !== null && init.signal !== undefined) return init.signal ?? undefined;
  return input instanceof RequestClass ? input.signal : undefined;
}

type Run = Parameters<FetchClient['begin']>[0];

interface Waiting {
  /** The run that made the request: a queued request is sent only while it is still running. */
  run: Run;
  /** Its `fetch` frame while queued; sent (and dropped here) once a place among those in flight is free. */
  frame: string | undefined;
  resolve: (res: Response) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  /**
   * A Request passed as input, kept until the request settles: its own signal follows the
   * caller's controller only while the Request object lives (see callerSignal).
   */
  input: unknown;
}

export function createFetchClient(deps: FetchClientDeps): FetchClient {
  const { send, stringify, bufferFrom, RequestClass, ResponseClass } = deps;
  const cloneResponse = ResponseClass.prototype.clone;

  /**
   * A constructed Response made to read like one Node's fetch returns: `url` the final URL,
   * `redirected` true when a redirect was followed, `type` 'basic' (what Node 20's fetch gives
   * for every request it makes, redirect: 'manual' included), and clone() keeping all three.
   */
  function asFetched(res: Response, url: string, redirected: boolean): Response {
    Object.defineProperty(res, 'url', { value: url });
    Object.defineProperty(res, 'redirected', { value: redirected });
    Object.defineProperty(res, 'type', { value: 'basic' });
    Object.defineProperty(res, 'clone', {
      value: function clone(this: Response): Response {
        return asFetched(cloneResponse.call(this), url, redirected);
      },
      writable: true,
      configurable: true,
    });
    return res;
  }

  /** Requests whose frame was sent and not yet answered or aborted: what the host counts as in flight. */
  const inFlight = new Map<number, Waiting>();
  /**
   * Requests beyond maxInFlight, oldest first, nothing sent yet. Unbounded here: the queue lives in
   * the function's own heap, which its memory limit bounds, and costs the host nothing.
   */
  const queued = new Map<number, Waiting>();
  let seq = 0;
  let run: Run | null = null;

  /** Takes request `rid` out of the waiting ones, in flight or queued (answered, aborted or withdrawn). */
  function settle(rid: number): Waiting | undefined {
    const waiting = inFlight.get(rid) ?? queued.get(rid);
    if (waiting === undefined) return undefined;
    inFlight.delete(rid);
    queued.delete(rid);
    waiting.signal?.removeEventListener('abort', waiting.onAbort);
    return waiting;
  }

  /** Sends queued requests, oldest first, while places among those in flight are free. */
  function sendQueued(): void {
    for (const [rid, waiting] of queued) {
      if (run === null || inFlight.size >= run.maxInFlight) return;
      if (waiting.run !== run) { // belt and braces: end() already rejected the requests of a run that ended
        settle(rid)?.reject(egressError('EGRESS_FAILED', 'the execution ended'));
        continue;
      }
      queued.delete(rid);
      inFlight.set(rid, waiting);
      send(waiting.frame!);
      waiting.frame = undefined;
    }
  }

  async function brokeredFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const current = run;
    if (current === null) throw egressError('EGRESS_DENIED', 'fetch is only available during an execution of a function granted egress');
    if (!current.owns()) throw egressError('EGRESS_DENIED', 'fetch was called by work left over from an earlier execution; only the running execution may use its egress grant');
    refuseUrlCredentials(input);
    const request = new RequestClass(input, init);
    const signal = callerSignal(input, init, RequestClass);
    signal?.throwIfAborted();
    const body = request.body === null ? undefined : bufferFrom(await request.arrayBuffer());
    if (body !== undefined && body.length > current.requestBytes) {
      throw egressError('EGRESS_LIMIT', `the request body is ${body.length} bytes, above egress.limits.requestBytes (${current.requestBytes})`);
    }
    if (run !== current) throw egressError('EGRESS_FAILED', 'the execution ended');
    signal?.throwIfAborted(); // aborted while the body was read
    const headers: [string, string][] = [];
    request.headers.forEach((value, name) => headers.push([name, value]));
    const rid = ++seq;
    const fields = { t: 'fetch', id: current.id, rid, method: request.method, url: request.url, headers, redirect: request.redirect };
    const frame = stringify(body === undefined ? fields : { ...fields, body: body.toString('base64') });
    return new Promise<Response>((resolve, reject) => {
      const onAbort = (): void => {
        const sent = inFlight.has(rid);
        if (settle(rid) === undefined) return;
        // A queued request just leaves the queue. For one in flight the host closes the upstream
        // connection, frees its place at once and answers nothing for it (a `fetched` frame
        // already on its way is ignored); the next queued frame goes after the fetch-abort, so
        // the host never counts more than maxInFlight.
        if (sent && run === current) {
          send(stringify({ t: 'fetch-abort', id: current.id, rid }));
          sendQueued();
        }
        reject(signal?.reason);
      };
      const waiting: Waiting = { run: current, frame, resolve, reject, signal, onAbort, input };
      signal?.addEventListener('abort', onAbort, { once: true });
      queued.set(rid, waiting);
      sendQueued(); // at once when a place is free and nothing older waits
    });
  }

  /**
   * fetch as handed out. An answer frame arrives with no caller on the stack, so an EGRESS_*
   * rejection takes the stack of the call that made the request: the function's own frames.
   */
  function fetchFromCaller(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const site: { stack?: string } = {};
    Error.captureStackTrace(site, fetchFromCaller);
    return brokeredFetch(input, init).catch((err: unknown) => {
      const code = err instanceof TypeError ? (err as { code?: unknown }).code : undefined;
      const frames = site.stack?.indexOf('\n') ?? -1;
      if (typeof code === 'string' && code.startsWith('EGRESS_') && frames >= 0) {
        Object.defineProperty(err, 'stack', { value: `TypeError: ${(err as TypeError).message}${site.stack!.slice(frames)}`, writable: true, configurable: true });
      }
      throw err;
    });
  }

  return {
    fetch: fetchFromCaller,
    begin(next) {
      run = next;
      globalThis.fetch = fetchFromCaller;
    },
    end() {
      run = null;
      globalThis.fetch = deps.nativeFetch;
      for (const rid of [...inFlight.keys(), ...queued.keys()]) settle(rid)?.reject(egressError('EGRESS_FAILED', 'the execution ended'));
    },
    onFetched(frame) {
      if (!inFlight.has(frame.rid)) return; // aborted, or answered after its run ended (never one still queued)
      const waiting = settle(frame.rid)!;
      sendQueued();
      if (!frame.ok) return waiting.reject(egressError(String(frame.code), String(frame.message)));
      try {
        const empty = frame.status === 204 || frame.status === 205 || frame.status === 304;
        const res = new ResponseClass(empty ? null : bufferFrom(frame.body, 'base64'), {
          status: frame.status,
          statusText: frame.statusText,
          headers: frame.headers,
        });
        waiting.resolve(asFetched(res, frame.url, frame.redirected === true));
      } catch (err) {
        waiting.reject(egressError('EGRESS_FAILED', `the response cannot be represented: ${deps.describe(err)}`));
      }
    },
  };
}
