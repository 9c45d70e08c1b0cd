// The host end of ctx.fetch for one execution: hands each validated `fetch` frame to the
// execution's EgressSession, answers with exactly one `fetched` frame, bounds the requests in
// flight, aborts a request the function aborted (`fetch-abort`: its connection is closed, its
// place freed at once, and it is never answered), and when the execution ends (answer,
// deadline, crash) aborts whatever is still in flight and sends nothing more.
// Frames an honest harness never sends are protocol violations, so a sandbox cannot make the
// host parse and answer frames in a loop without waiting: a fetch beyond MAX_FETCH_IN_FLIGHT
// unanswered ones (the harness holds further requests back until one settles), or more
// fetch-aborts than fetches. A request holds its place until the sandbox has taken its answer
// off the channel (the host's write of it completed): answers leave one at a time, each once the
// one before it has, so a sandbox that never reads cannot make the host fetch on and hold more
// than MAX_FETCH_IN_FLIGHT answers for it.
import { isAirlockError } from '../core/errors.js';
import type { EgressLimits } from '../core/types.js';
import type { EgressSession } from '../egress/types.js';
import type { FetchFrame } from '../runtime/protocol.js';
import { MAX_FETCH_HEADER_BYTES, MAX_FETCH_URL } from './inbound-fetch.js';

/** Requests one execution may have in flight at once (the harness queues more until one settles). */
export const MAX_FETCH_IN_FLIGHT = 16;
/** Frame bytes beyond the base64 body: envelope, URL and headers (JSON escapes: up to 6 bytes each). */
const FETCH_FRAME_OVERHEAD = 6 * (MAX_FETCH_URL + MAX_FETCH_HEADER_BYTES) + 16 * 1024;

/** Largest `fetch` frame an honest harness sends under these limits (its body is base64). */
export function fetchFrameCap(limits: EgressLimits): number {
  return Math.ceil(limits.requestBytes / 3) * 4 + FETCH_FRAME_OVERHEAD;
}

/** One `fetched` frame, for the request `request` (its controller) of `rid`. */
interface Answer {
  rid: number;
  request: AbortController;
  json: string;
}

/** Sends one frame; `flushed` is called once it has left the host (the sandbox can read it). */
export type SendFrame = (json: string, flushed: () => void) => void;

export class EgressRelay {
  private readonly session: EgressSession;
  private readonly send: SendFrame;
  /**
   * The requests in flight by rid, each with the controller that aborts it. A request's outcome
   * counts only while its own controller is still the one here: once it was aborted, its rid
   * may be used again, and its late outcome must neither answer nor free the newer request.
   */
  private readonly inFlight = new Map<number, AbortController>();
  /** Answers of requests still in flight, waiting for the one before them to leave (see pump). */
  private readonly answers: Answer[] = [];
  /** The answer handed to the channel, not yet written through to the sandbox. */
  private writing: Answer | undefined;
  private closed = false;
  /** `fetch` and `fetch-abort` frames so far: an honest harness aborts each request at most once. */
  private fetches = 0;
  private aborts = 0;

  constructor(session: EgressSession, send: SendFrame) {
    this.session = session;
    this.send = send;
  }

  /** Starts one request; returns a protocol violation to report, or undefined. */
  handle(frame: FetchFrame): string | undefined {
    const { rid } = frame;
    if (this.closed) return 'fetch frame after the run ended';
    if (this.inFlight.has(rid)) return `fetch frame reuses request id ${rid} while it is in flight`;
    if (this.inFlight.size >= MAX_FETCH_IN_FLIGHT) return `fetch frame beyond the ${MAX_FETCH_IN_FLIGHT} requests in flight the harness allows`;
    this.fetches++;
    const request = new AbortController();
    this.inFlight.set(rid, request);
    const body = frame.body === undefined ? undefined : Buffer.from(frame.body, 'base64');
    this.session
      .fetch(
        {
          method: frame.method, url: frame.url, headers: frame.headers,
          ...(body === undefined ? {} : { body }), ...(frame.redirect === undefined ? {} : { redirect: frame.redirect }),
        },
        request.signal,
      )
      .then(
        (res) => {
          this.answer(
            rid,
            request,
            `{"t":"fetched","rid":${rid},"ok":true,"status":${res.status},"statusText":${JSON.stringify(res.statusText)},` +
              `"url":${JSON.stringify(res.url)},"redirected":${res.redirected},"headers":${JSON.stringify(res.headers)},` +
              `"body":"${res.body.toString('base64')}"}`,
          );
        },
        (err: unknown) => {
          if (isAirlockError(err)) this.answerError(rid, request, err.code, err.message);
          else this.answerError(rid, request, 'EGRESS_FAILED', 'the request failed inside the broker');
        },
      );
    return undefined;
  }

  /**
   * The function aborted request `rid` (a `fetch-abort` frame): close its connection, free its
   * place among the requests in flight now, and never answer it.
   *
   * A rid that is not in flight is ignored rather than treated as a protocol violation, because
   * an honest harness sends such frames: the function can abort a request whose answer the host
   * has already sent (or whose EGRESS_LIMIT refusal it has sent) but the harness has not read yet.
   * Telling that race from a repeated or invented rid would take a record of every rid of the
   * run; ignoring it is safe, since the frame names only requests of the sandbox's own run in
   * progress (the channel refuses one for another execution or outside a run), which the
   * function may abort anyway, and it costs the host one map lookup. What an honest harness
   * never does is send more aborts than requests: that is a violation (returned).
   */
  abort(rid: number): string | undefined {
    if (++this.aborts > this.fetches) return `more fetch-abort frames (${this.aborts}) than fetch frames (${this.fetches})`;
    const request = this.inFlight.get(rid);
    if (request === undefined) return undefined;
    this.inFlight.delete(rid);
    request.abort();
    // An answer still waiting is dropped; one already handed to the channel arrives, and the harness ignores it.
    const waiting = this.answers.findIndex((a) => a.request === request);
    if (waiting >= 0) this.answers.splice(waiting, 1);
    return undefined;
  }

  /** The execution is over: abort what is in flight and answer nothing more. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const requests = [...this.inFlight.values()];
    this.inFlight.clear();
    this.answers.length = 0;
    for (const request of requests) request.abort();
  }

  /** Requests in flight now, answers not yet read included (each counts toward MAX_FETCH_IN_FLIGHT). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Takes request `rid` out of those in flight if `request` is still the one there (not aborted). */
  private take(rid: number, request: AbortController): boolean {
    if (this.inFlight.get(rid) !== request) return false;
    this.inFlight.delete(rid);
    return true;
  }

  private answerError(rid: number, request: AbortController, code: string, message: string): void {
    this.answer(rid, request, JSON.stringify({ t: 'fetched', rid, ok: false, code, message }));
  }

  /** Queues the answer of a request still in flight (not aborted) behind those before it. */
  private answer(rid: number, request: AbortController, json: string): void {
    if (this.closed || this.inFlight.get(rid) !== request) return;
    this.answers.push({ rid, request, json });
    this.pump();
  }

  /** Hands the next answer to the channel once the one before it has left; its place is freed then. */
  private pump(): void {
    if (this.closed || this.writing !== undefined) return;
    const next = this.answers.shift();
    if (next === undefined) return;
    this.writing = next;
    this.send(next.json, () => {
      if (this.writing === next) this.writing = undefined;
      this.take(next.rid, next.request);
      this.pump();
    });
  }
}
