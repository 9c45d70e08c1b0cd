// One execution's egress: checks each request against the function's policy, the secret
// bindings and the address rules (all before any connection), substitutes secrets, performs it
// through the injected resolver and connector with the per-execution caps, follows redirects
// itself (each hop re-checked and counted) unless the request's redirect mode is 'error' or
// 'manual', decodes a compressed final answer, and keeps one record per hop, refused ones too. A
// hop refused after a redirect says so, naming the URL the function fetched.
import { AirlockError, isAirlockError } from '../core/errors.js';
import type { EgressLimits, EgressRequestRecord } from '../core/types.js';
import type { AddressRules } from './addresses.js';
import { checkPolicy, denied, hostMatches, METHOD_PATTERN, parseTarget, REFUSED_METHODS } from './policy.js';
import type { Target } from './policy.js';
import { decodeBody } from './decode.js';
import { buildHeaders, withoutBodyHeaders, withoutCredentials } from './request-headers.js';
import { mistypedPlaceholder, placeholderNames, SecretMask, secretsFor, substitute } from './secrets.js';
import { responseTooLarge } from './transport.js';
import type { Connector, ConnectResponse, ResolvedAddress, Resolver } from './transport.js';
import type {
  EgressFetchRequest, EgressFetchResponse, EgressMetrics, EgressOutcome, EgressSession, EgressSessionOptions, RedirectMode, SecretSource,
  SecretValue,
} from './types.js';

export const MAX_REDIRECTS = 5;
/** Records kept beyond the request cap (refusals after it), so a flood cannot grow them unbounded. */
const EXTRA_RECORDS = 50;
/** Longest path kept in a record. */
const MAX_RECORD_PATH = 1024;
/** Statuses the broker treats as redirects (with a location, when following). */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface SessionDeps {
  rules: AddressRules;
  resolver: Resolver;
  connector: Connector;
  secrets: SecretSource;
  limits: EgressLimits;
  metrics?: EgressMetrics;
}

type Stop = 'timeout' | 'deadline' | 'aborted';

/** A request record's error code as a metrics outcome (no error: a response came back). */
function outcomeOf(error: string | undefined): EgressOutcome {
  if (error === undefined) return 'sent';
  if (error === 'EGRESS_DENIED') return 'denied';
  if (error === 'EGRESS_LIMIT') return 'limit';
  return 'failed';
}

export class BrokerSession implements EgressSession {
  readonly records: EgressRequestRecord[] = [];
  readonly limits: EgressLimits;
  private readonly opts: EgressSessionOptions;
  private readonly deps: SessionDeps;
  private readonly mask_ = new SecretMask();
  /** Hosts whose bound secrets are in mask_ (see maskBoundTo). */
  private readonly maskedHosts = new Set<string>();
  private count = 0;
  private capReached = false;

  constructor(opts: EgressSessionOptions, deps: SessionDeps) {
    this.opts = opts;
    this.deps = deps;
    this.limits = deps.limits;
  }

  get requestCapReached(): boolean {
    return this.capReached;
  }

  get usedSecrets(): boolean {
    return this.mask_.used;
  }

  mask(text: string): string {
    return this.mask_.mask(text);
  }

  async fetch(req: EgressFetchRequest, signal?: AbortSignal): Promise<EgressFetchResponse> {
    const started = performance.now();
    const method = req.method.toUpperCase();
    let target: Target | undefined;
    const body = req.body === undefined ? undefined : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength);
    try {
      if (!METHOD_PATTERN.test(method) || REFUSED_METHODS.has(method)) throw denied(`method ${JSON.stringify(req.method.slice(0, 20))} is not allowed`);
      target = parseTarget(req.url);
      if (placeholderNames(target.url.host + target.url.username).length > 0 || target.host.includes('{')) {
        throw denied('secret placeholders may appear only in the URL path and query and in header values, never in the host');
      }
      if (this.count >= this.limits.requests) throw this.requestCap();
      if (body !== undefined && body.length > this.limits.requestBytes) {
        throw new AirlockError(
          'EGRESS_LIMIT',
          `the request body is ${body.length} bytes, above egress.limits.requestBytes (${this.limits.requestBytes}); send less or raise the limit`,
        );
      }
      if (body !== undefined) refusePlaceholderInBody(body);
      checkPolicy(this.opts.policy, target, method);
    } catch (err) {
      this.recordFailure(req.url, method, target, started, err, 0);
      throw err;
    }
    // Secrets: fetched and checked against the host before anything is sent.
    let secrets: Map<string, SecretValue>;
    let headers: [string, string][];
    try {
      const pathAndQuery = target.url.pathname + target.url.search;
      for (const text of [pathAndQuery, ...req.headers.map(([, v]) => v)]) {
        const mistyped = mistypedPlaceholder(text);
        if (mistyped !== undefined) {
          throw denied(
            `the request has ${JSON.stringify(mistyped)}, which looks like a secret placeholder but is not one, so it would be sent as written; ` +
              'write {{secrets.NAME}} (lowercase "secrets", a name of letters, digits, _ and -)',
          );
        }
      }
      const names = new Set([...placeholderNames(pathAndQuery), ...req.headers.flatMap(([, v]) => placeholderNames(v))]);
      secrets = await secretsFor(this.deps.secrets, this.opts.tenant, [...names], target.host);
      const values = new Map([...secrets].map(([n, s]) => [n, s.value]));
      for (const [n, s] of secrets) this.mask_.add(n, s.value);
      if (secrets.size > 0) {
        const substituted = parseTarget(substitute(target.url.href, values, true));
        if (substituted.host !== target.host || substituted.port !== target.port || substituted.protocol !== target.protocol) {
          throw denied('substituting secrets changed the request target; secrets may only fill in the path, query and headers');
        }
        target = substituted;
        // A value must not change what the policy allowed (e.g. a `..` segment).
        checkPolicy(this.opts.policy, target, method);
      }
      headers = buildHeaders(req.headers, secrets, target.host);
    } catch (err) {
      this.recordFailure(req.url, method, target, started, err, 0);
      throw err;
    }
    return this.perform(target, method, body, headers, req.headers, secrets, req.redirect ?? 'follow', signal);
  }

  private async perform(
    first: Target,
    firstMethod: string,
    firstBody: Buffer | undefined,
    firstHeaders: [string, string][],
    firstTemplates: readonly [string, string][],
    secrets: Map<string, SecretValue>,
    mode: RedirectMode,
    signal: AbortSignal | undefined,
  ): Promise<EgressFetchResponse> {
    const stop = new AbortController();
    let reason: Stop = 'aborted';
    const end = (why: Stop) => () => {
      reason = why;
      stop.abort();
    };
    const untilDeadline = this.opts.deadline - Date.now();
    const timer = setTimeout(end(untilDeadline < this.limits.timeoutMs ? 'deadline' : 'timeout'), Math.max(0, Math.min(untilDeadline, this.limits.timeoutMs)));
    const onOuterAbort = end('aborted');
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    if (signal?.aborted) onOuterAbort();
    let target = first;
    let method = firstMethod;
    let body = firstBody;
    let headers = firstHeaders;
    let templates = firstTemplates;
    /** The status of the last redirect followed (a refusal of the hop it led to says so). */
    let redirectStatus = 0;
    try {
      for (let redirects = 0; ; redirects++) {
        const hopStarted = performance.now();
        let res: ConnectResponse;
        try {
          if (this.count >= this.limits.requests) throw this.requestCap();
          if (stop.signal.aborted) throw this.stopped(reason);
          this.count++;
          const address = await this.vet(target, stop.signal, () => reason);
          res = await this.deps.connector({
            target, address, method, headers, body, signal: stop.signal, maxResponseBytes: this.limits.responseBytes,
          });
        } catch (err) {
          const mapped = stop.signal.aborted && !(isAirlockError(err) && err.code === 'EGRESS_DENIED') ? this.stopped(reason) : err;
          const bytesIn = isAirlockError(err) && typeof err.details?.bytesIn === 'number' ? err.details.bytesIn : 0;
          this.recordFailure(target.url.href, method, target, hopStarted, mapped, bytesIn, body?.length ?? 0);
          throw redirects > 0 ? this.afterRedirects(mapped, first, redirects, redirectStatus) : mapped;
        }
        await this.maskBoundTo(target.host);
        const location = res.headers.find(([k]) => k === 'location')?.[1];
        const redirect = REDIRECT_STATUSES.has(res.status);
        if (redirect && mode === 'error') {
          this.push(method, target, res.status, body?.length ?? 0, res.body.length, hopStarted, 'EGRESS_FAILED');
          const to = location === undefined ? '' : ` to ${this.mask_.mask(location).slice(0, 200)}`;
          throw new AirlockError(
            'EGRESS_FAILED',
            `${target.host} answered ${res.status} (a redirect${to}) and the request has redirect: 'error'; ` +
              "leave redirect out to follow it, or use redirect: 'manual' to read it",
          );
        }
        if (!redirect || location === undefined || mode === 'manual') {
          return await this.answer(target, method, res, this.mask_.used, hopStarted, body?.length ?? 0, redirects > 0);
        }
        this.push(method, target, res.status, body?.length ?? 0, res.body.length, hopStarted);
        // A redirect: the next hop is checked exactly like a new request.
        let next: Target;
        let href = location;
        try {
          if (redirects >= MAX_REDIRECTS) {
            throw new AirlockError('EGRESS_FAILED', `more than ${MAX_REDIRECTS} redirects; call the final URL directly`);
          }
          try {
            href = new URL(location, target.url).href;
          } catch {
            throw new AirlockError('EGRESS_FAILED', `the redirect location ${JSON.stringify(this.mask_.mask(location).slice(0, 200))} is not a URL`);
          }
          // As fetch does: the method turns into GET without the body or the body's headers.
          if ((res.status === 303 && method !== 'GET' && method !== 'HEAD') || ((res.status === 301 || res.status === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
            templates = withoutBodyHeaders(templates);
          }
          next = parseTarget(href);
          checkPolicy(this.opts.policy, next, method);
          for (const name of this.mask_.occurrences(href)) {
            const secret = secrets.get(name);
            if (secret === undefined || !secret.hosts.some((h) => hostMatches(h, next.host))) {
              throw denied(`a redirect to ${next.host} would carry secret ${name}, which is not bound to that host`);
            }
          }
        } catch (err) {
          this.recordFailure(href, method, undefined, performance.now(), err, 0);
          throw this.afterRedirects(err, first, redirects + 1, res.status);
        }
        redirectStatus = res.status;
        // Once the chain leaves an origin, credentials stay dropped, even on later same-origin hops.
        if (next.url.origin !== target.url.origin) templates = withoutCredentials(templates);
        headers = buildHeaders(templates, secrets, next.host);
        target = next;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  /**
   * A refusal of a hop a redirect led to, saying so: the URL the function fetched, how many
   * redirects were followed and the last one's status (secret values masked, as in a response).
   * Other errors are left as they are.
   */
  private afterRedirects(err: unknown, first: Target, redirects: number, status: number): unknown {
    if (!isAirlockError(err) || err.code !== 'EGRESS_DENIED') return err;
    const from = this.mask_.mask(first.url.href).slice(0, 500);
    const followed = redirects === 1 ? `a ${status} redirect from ${from}` : `${redirects} redirects from ${from} (the last a ${status})`;
    return new AirlockError(
      'EGRESS_DENIED',
      this.mask_.mask(`after ${followed}: ${err.message}; or fetch with redirect: 'manual' to read the redirect instead of following it`),
      err.details,
    );
  }

  /** Resolves the host (unless it is an IP literal) and applies the address rules to every address. */
  private async vet(target: Target, signal: AbortSignal, why: () => Stop): Promise<ResolvedAddress> {
    if (target.literal) {
      const verdict = this.deps.rules.check(target.host);
      if (!verdict.allowed) throw denied(`refused: ${verdict.reason}`);
      return { address: target.host, family: target.host.includes(':') ? 6 : 4 };
    }
    let found: ResolvedAddress[];
    try {
      found = await abortable(this.deps.resolver(target.host), signal);
    } catch (err) {
      if (signal.aborted) throw this.stopped(why());
      throw new AirlockError('EGRESS_FAILED', `could not resolve ${target.host}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (found.length === 0) throw new AirlockError('EGRESS_FAILED', `${target.host} resolves to no address`);
    // Any refused address refuses the request: a name that mixes public and internal addresses
    // is treated as hostile rather than filtered.
    for (const a of found) {
      const verdict = this.deps.rules.check(a.address);
      if (!verdict.allowed) throw denied(`refused: ${target.host} resolves to a refused address: ${verdict.reason}`);
    }
    return found[0]!;
  }

  /**
   * Adds the values of the tenant's secrets bound to `host` to the mask, once per host: an answer
   * from it may hand one back whether or not this request carried it (a partner that keeps what
   * it was sent, in this execution or an earlier one), and the sandbox must never see one. A
   * redirect whose location holds one is refused like one carrying a substituted value.
   */
  private async maskBoundTo(host: string): Promise<void> {
    if (this.maskedHosts.has(host)) return;
    for (const secret of await this.deps.secrets.boundTo(this.opts.tenant, host)) this.mask_.add(secret.name, secret.value);
    this.maskedHosts.add(host);
  }

  /** The final response: its body decoded (within the response cap), secrets masked, its hop recorded. */
  private async answer(
    target: Target, method: string, res: ConnectResponse, usedSecrets: boolean, since: number, bytesOut: number, redirected: boolean,
  ): Promise<EgressFetchResponse> {
    let body: Buffer;
    try {
      const maxBytes = this.limits.responseBytes;
      body = await decodeBody({ method, status: res.status, headers: res.headers, body: res.body, maxBytes, tooLarge: () => responseTooLarge(maxBytes, res.body.length) });
    } catch (err) {
      this.recordFailure(target.url.href, method, target, since, err, res.body.length, bytesOut);
      throw err;
    }
    this.push(method, target, res.status, bytesOut, res.body.length, since);
    // A server that echoes what it was sent would hand a secret to the sandbox: mask it.
    const mask = (s: string) => (usedSecrets ? this.mask_.mask(s) : s);
    return {
      status: res.status,
      statusText: mask(res.statusText),
      url: mask(target.url.href),
      redirected,
      headers: res.headers.map(([k, v]) => [k, mask(v)]),
      body: usedSecrets ? this.mask_.maskBytes(body) : body,
    };
  }

  private requestCap(): AirlockError {
    this.capReached = true;
    const next =
      this.opts.jobSlice === true
        ? 'this job slice can make no more: let the error end the run, and the job continues from its last checkpoint in a new slice with a new budget'
        : 'make fewer calls or raise the limit';
    return new AirlockError('EGRESS_LIMIT', `this execution already made ${this.count} requests, the limit (egress.limits.requests); ${next}`);
  }

  private stopped(reason: Stop): AirlockError {
    if (reason === 'timeout') {
      return new AirlockError('EGRESS_FAILED', `the request took longer than ${this.limits.timeoutMs} ms (egress.limits.timeoutMs) and was cut off`);
    }
    if (reason === 'deadline') return new AirlockError('EGRESS_FAILED', 'the execution deadline was reached during the request');
    return new AirlockError('EGRESS_FAILED', 'the request was aborted');
  }

  private push(method: string, target: { host: string; port: number; path: string }, status: number | null, bytesOut: number, bytesIn: number, since: number, error?: string): void {
    const rec: EgressRequestRecord = {
      method, host: target.host, port: target.port, path: this.mask_.mask(target.path).slice(0, MAX_RECORD_PATH), status, bytesOut, bytesIn,
      durationMs: Math.round((performance.now() - since) * 1000) / 1000,
    };
    if (error !== undefined) rec.error = error;
    this.deps.metrics?.recordEgress(outcomeOf(error));
    if (this.records.length < this.limits.requests + EXTRA_RECORDS) this.records.push(rec);
  }

  private recordFailure(raw: string, method: string, target: Target | undefined, since: number, err: unknown, bytesIn: number, bytesOut = 0): void {
    const code = isAirlockError(err) ? err.code : 'EGRESS_FAILED';
    if (target !== undefined) return this.push(method, target, null, bytesOut, bytesIn, since, code);
    let host = '';
    let port = 0;
    let path = '';
    try {
      const u = new URL(raw);
      host = u.hostname;
      port = Number(u.port) || (u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : 0);
      path = u.pathname;
    } catch {
      path = '';
    }
    this.push(method.slice(0, 16), { host: host.slice(0, 253), port, path: path.slice(0, 2048) }, null, bytesOut, bytesIn, since, code);
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

/**
 * Placeholders are filled in only in header values and the URL's path and query: one in the
 * body would reach the third party as written (an OAuth client secret in a form body, a JSON
 * field), so the request is refused and told where a secret can go instead.
 */
function refusePlaceholderInBody(body: Buffer): void {
  const name = placeholderNames(body.toString('latin1'))[0];
  if (name === undefined) return;
  throw denied(
    `the request body has {{secrets.${name}}}, but secrets are filled in only in header values and the URL's path and query, ` +
      'so it would be sent as written; send the secret in a header instead (for HTTP Basic auth, e.g. an OAuth client\'s ' +
      'credentials, store the whole header value, "Basic " + base64("id:secret"), as the secret and send ' +
      `authorization: {{secrets.${name}}}), or in the query if the API takes it there`,
  );
}
