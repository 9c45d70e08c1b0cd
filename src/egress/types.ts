// The egress broker's contract with the rest of Airlock. A function granted egress calls
// `ctx.fetch` in the sandbox; the harness sends the request as a frame; the host's broker checks
// it against the function's policy and the operator's address rules, substitutes secret
// placeholders for the hosts each secret is bound to, performs it, and answers with a frame.
// One EgressSession per execution counts requests and bytes against the limits and keeps the
// records stored on the execution.
import type { EgressLimits, EgressPolicy, EgressRequestRecord } from '../core/types.js';

/** A request as the sandbox asked for it (placeholders like `{{secrets.NAME}}` still in place). */
export interface EgressFetchRequest {
  method: string;
  url: string;
  headers: [string, string][];
  /** Absent for requests without a body. */
  body?: Uint8Array;
  /** What to do with a redirect (the standard `RequestInit.redirect`); absent means 'follow'. */
  redirect?: RedirectMode;
}

/** 'follow': the broker follows it (each hop re-checked); 'error': the request fails; 'manual': the 3xx is the answer. */
export type RedirectMode = 'follow' | 'error' | 'manual';

/** The final response (after redirects the broker followed and re-checked). */
export interface EgressFetchResponse {
  status: number;
  statusText: string;
  /** Final URL after redirects. */
  url: string;
  /** True when the broker followed at least one redirect to get here (Response.redirected). */
  redirected: boolean;
  headers: [string, string][];
  body: Buffer;
}

/** A decrypted secret, held by the host only for the time of one request. */
export interface SecretValue {
  name: string;
  /** Hosts the value may be sent to (same syntax as EgressRule.host). */
  hosts: string[];
  value: string;
}

/** Where the broker gets secret values from (the secrets service; a map in tests). */
export interface SecretSource {
  /** undefined when the tenant has no secret of that name. */
  get(tenant: string, name: string): Promise<SecretValue | undefined>;
  /**
   * Every secret of the tenant bound to `host` (those it can read, for the broker to mask): what
   * an answer from that host may hand back, having been sent the value now or at any time before.
   */
  boundTo(tenant: string, host: string): Promise<SecretValue[]>;
}

export interface EgressSessionOptions {
  tenant: string;
  functionName: string;
  executionId: string;
  policy: EgressPolicy;
  /** Epoch ms after which no request may start or continue (the execution's deadline). */
  deadline: number;
  /** A job slice: running out of requests ends the slice, and the job continues in a new one. */
  jobSlice?: boolean;
}

export interface EgressSession {
  /**
   * Performs one request. Rejects with an AirlockError whose code says why: EGRESS_DENIED (the
   * policy, an address rule or a secret binding refused it; no connection was attempted),
   * EGRESS_LIMIT (a per-execution cap), EGRESS_FAILED (DNS, connection, TLS, timeout).
   * `signal` stops the request early, closing its connection: the sandbox layer aborts a request
   * the function aborted, and whatever is in flight when the run ends.
   */
  fetch(req: EgressFetchRequest, signal?: AbortSignal): Promise<EgressFetchResponse>;
  /** The caps in force for this execution (the sandbox layer sizes its frame caps from them). */
  readonly limits: EgressLimits;
  /** One record per request, refused ones included, in order. */
  readonly records: readonly EgressRequestRecord[];
  /** Replaces every secret value this session substituted with `[secret:NAME]`. */
  mask(text: string): string;
  /** True when at least one secret value was substituted (so results and logs need masking). */
  readonly usedSecrets: boolean;
  /** True once a request was refused because the execution had made limits.requests already. */
  readonly requestCapReached: boolean;
}

/** How one request through the broker ended (for metrics). */
export type EgressOutcome = 'sent' | 'denied' | 'limit' | 'failed';

export interface EgressMetrics {
  recordEgress(outcome: EgressOutcome): void;
}

export interface EgressBroker {
  open(opts: EgressSessionOptions): EgressSession;
}
