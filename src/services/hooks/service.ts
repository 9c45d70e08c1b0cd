// Webhook deliveries: checks the token of /hooks/{tenant}/{function}/{token} (unknown tenant,
// function or token: one and the same 404), the provider's signature when the function's webhook
// verifies one (over the decoded body; 401 otherwise), turns the request into the function's input,
// stores it as an interactive-lane job through the group committer (durable before the answer;
// the lane's reserved queue slots keep a backlog of long syncs from holding deliveries back),
// and, for ?wait=<ms>, waits for the job to finish within the (capped) time. A tenant at its
// backlog cap (AIRLOCK_QUEUE_TENANT_BACKLOG) gets 429 TENANT_BACKLOG_FULL and nothing is stored.
import type { Config } from '../../core/config.js';
import { AirlockError, isAirlockError } from '../../core/errors.js';
import { sortableId } from '../../core/ids.js';
import { checkedInput } from '../../core/json.js';
import type { FunctionVersion } from '../../core/types.js';
import type { QueueItem } from '../../queue/port.js';
import type { FunctionCache } from '../function-cache.js';
import type { JobPayload } from '../jobs/payload.js';
import { NAME_PATTERN } from '../names.js';
import { decodeDelivery } from './content-encoding.js';
import { deliveryInput } from './delivery.js';
import type { DeliveryRequest } from './delivery.js';
import type { GroupCommitter } from './group-commit.js';
import { countBacklogRefusal } from '../jobs/backlog-refusals.js';
import type { BacklogRefusalMetrics } from '../jobs/backlog-refusals.js';
import type { WebhookTokens } from './tokens.js';
import type { WebhookVerifier } from './verifier.js';
import type { CompletionWaiters } from './waiters.js';

export interface HookServiceDeps {
  config: Config;
  tokens: WebhookTokens;
  functions: FunctionCache;
  committer: GroupCommitter;
  waiters: CompletionWaiters;
  /** Signature verification (absent: none, e.g. in tests of other parts). */
  verifier?: Pick<WebhookVerifier, 'check'>;
  /** Counts deliveries refused by their tenant's backlog cap. */
  metrics?: BacklogRefusalMetrics;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
}

export interface Delivered {
  deliveryId: string;
  jobId: string;
}

/** One answer for every unknown tenant, function or token, so a caller learns nothing from it. */
function noSuchHook(): AirlockError {
  return new AirlockError(
    'NOT_FOUND',
    'no webhook at this URL; the URL (with its token) is shown by GET /v1/tenants/{tenant}/functions/{function} ' +
      'and changes when the token is rotated',
  );
}

export class HookService {
  private readonly deps: HookServiceDeps;
  private readonly now: () => number;
  /** Aborted on stop: every ?wait is answered at once (202) instead of holding the shutdown. */
  private readonly stopping = new AbortController();

  constructor(deps: HookServiceDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
  }

  /**
   * The function a delivery goes to, after its token checked out; NOT_FOUND otherwise. The route
   * calls this before the body is read, so a caller without the token cannot make the server
   * buffer bodies.
   */
  async admit(tenant: string, fn: string, token: string): Promise<FunctionVersion> {
    if (!NAME_PATTERN.test(tenant) || !NAME_PATTERN.test(fn) || token.length > 256) throw noSuchHook();
    if (!(await this.deps.tokens.verify(tenant, fn, token))) throw noSuchHook();
    try {
      return await this.deps.functions.get(tenant, fn);
    } catch (err) {
      if (isAirlockError(err) && err.code === 'FUNCTION_NOT_FOUND') throw noSuchHook();
      throw err;
    }
  }

  /** Stores one delivery to `version` (what admit answered) durably as a job; resolves once it is committed. */
  async receive(version: FunctionVersion, req: DeliveryRequest): Promise<Delivered> {
    const { config } = this.deps;
    const { tenant, name: fn } = version;
    const now = this.now();
    const deliveryId = sortableId('dl', now);
    const plain = await decodeDelivery(req, config.webhooks.bodyBytes);
    // Providers sign the plain payload: the signature is checked over the decoded body, before
    // the body is parsed or anything is stored.
    const verified = await this.deps.verifier?.check(tenant, fn, plain);
    const input = deliveryInput(deliveryId, plain, { ...config.webhooks, maxJsonDepth: config.maxJsonDepth });
    if (verified !== undefined) input.verified = verified;
    const payload: JobPayload = {
      // Checked and serialized once: the queue stores this text as the payload's input.
      input: checkedInput(input, config.maxJsonDepth + 2, version.limits.inputBytes, config.maxLimits.inputBytes),
      version: version.version,
      maxRunMs: config.jobs.defaultRunMs,
      deadlineAt: now + config.jobs.deadlineMs,
      submittedAt: now,
      source: { kind: 'webhook', deliveryId },
    };
    const jobId = await this.deps.committer
      .enqueue({ tenant, function: fn, lane: 'interactive', payload, idempotencyKey: deliveryId })
      .catch((err: unknown) => {
        countBacklogRefusal(err, 'webhook', this.deps.metrics);
        throw err;
      });
    return { deliveryId, jobId };
  }

  /** The delivery's job once final, or its state after min(ms, AIRLOCK_WEBHOOK_MAX_WAIT_MS). */
  wait(tenant: string, jobId: string, ms: number, signal?: AbortSignal): Promise<QueueItem | undefined> {
    const capped = Math.max(0, Math.min(ms, this.deps.config.webhooks.maxWaitMs));
    const both = signal === undefined ? this.stopping.signal : AbortSignal.any([signal, this.stopping.signal]);
    return this.deps.waiters.wait(tenant, jobId, capped, both);
  }

  /** The server stops: pending waits answer now. */
  stopWaiting(): void {
    this.stopping.abort();
  }
}
