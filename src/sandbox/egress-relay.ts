// The host end of ctx.fetch for one execution: hands each validated `fetch` frame to the
// execution's EgressSession, answers with exactly one `fetched` frame, bounds the requests in
// flight, and when the execution ends (answer, deadline, crash) aborts whatever is still in
// flight and sends nothing more.
import { isAirlockError } from '../core/errors.js';
import type { EgressLimits } from '../core/types.js';
import type { EgressSession } from '../egress/types.js';
import type { FetchFrame } from '../runtime/protocol.js';
import { MAX_FETCH_HEADER_BYTES, MAX_FETCH_URL } from './inbound-fetch.js';

/** Requests one execution may have in flight at once; more are answered with EGRESS_LIMIT. */
export const MAX_FETCH_IN_FLIGHT = 16;
/** Frame bytes beyond the base64 body: envelope, URL and headers (JSON escapes: up to 6 bytes each). */
const FETCH_FRAME_OVERHEAD = 6 * (MAX_FETCH_URL + MAX_FETCH_HEADER_BYTES) + 16 * 1024;

/** Largest `fetch` frame an honest harness sends under these limits (its body is base64). */
export function fetchFrameCap(limits: EgressLimits): number {
  return Math.ceil(limits.requestBytes / 3) * 4 + FETCH_FRAME_OVERHEAD;
}

export class EgressRelay {
  private readonly session: EgressSession;
  private readonly send: (json: string) => void;
  private readonly inFlight = new Set<number>();
  private readonly stop = new AbortController();
  private closed = false;

  constructor(session: EgressSession, send: (json: string) => void) {
    this.session = session;
    this.send = send;
  }

  /** Starts one request; returns a protocol violation to report, or undefined. */
  handle(frame: FetchFrame): string | undefined {
    const { rid } = frame;
    if (this.inFlight.has(rid)) return `fetch frame reuses request id ${rid} while it is in flight`;
    if (this.inFlight.size >= MAX_FETCH_IN_FLIGHT) {
      this.answerError(rid, 'EGRESS_LIMIT', `at most ${MAX_FETCH_IN_FLIGHT} requests may be in flight at once; await some before starting more`);
      return undefined;
    }
    this.inFlight.add(rid);
    const body = frame.body === undefined ? undefined : Buffer.from(frame.body, 'base64');
    this.session
      .fetch(
        {
          method: frame.method, url: frame.url, headers: frame.headers,
          ...(body === undefined ? {} : { body }), ...(frame.redirect === undefined ? {} : { redirect: frame.redirect }),
        },
        this.stop.signal,
      )
      .then(
        (res) => {
          this.answer(
            `{"t":"fetched","rid":${rid},"ok":true,"status":${res.status},"statusText":${JSON.stringify(res.statusText)},` +
              `"url":${JSON.stringify(res.url)},"headers":${JSON.stringify(res.headers)},"body":"${res.body.toString('base64')}"}`,
          );
        },
        (err: unknown) => {
          if (isAirlockError(err)) this.answerError(rid, err.code, err.message);
          else this.answerError(rid, 'EGRESS_FAILED', 'the request failed inside the broker');
        },
      )
      .finally(() => this.inFlight.delete(rid));
    return undefined;
  }

  /** The execution is over: abort what is in flight and answer nothing more. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
  }

  private answerError(rid: number, code: string, message: string): void {
    this.answer(JSON.stringify({ t: 'fetched', rid, ok: false, code, message }));
  }

  private answer(json: string): void {
    if (!this.closed) this.send(json);
  }
}
