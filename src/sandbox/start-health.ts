// Whether sandboxes can still be started, for GET /healthz and airlock_health_problems
// {check="sandboxes"}: an Isolator wrapper that notes each sandbox start's outcome. From a failed
// start until the next one succeeds (bwrap removed or being replaced by an upgrade, user
// namespaces or pids used up), every call that needs a new sandbox (a tenant without a warm one,
// or any once the blank pool is used up) answers 500 SANDBOX_FAILED while warm sandboxes still
// serve theirs: the server answers, yet cannot take new work, and only the health check says so.
// The first failure in a row is logged at error level, and the recovery at info.
import { isAirlockError } from '../core/errors.js';
import type { Isolator, Sandbox, SpawnOptions } from './port.js';

export interface StartHealthLogger {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

interface Failing {
  count: number;
  since: string;
  last: string;
}

export class SandboxStartHealth {
  private failing: Failing | undefined;
  private readonly logger: StartHealthLogger;

  constructor(logger: StartHealthLogger) {
    this.logger = logger;
  }

  /** The problem while starts fail ("records"-style words for /healthz), else undefined. */
  get problem(): string | undefined {
    const f = this.failing;
    if (f === undefined) return undefined;
    return (
      `starting a sandbox failed ${f.count} time${f.count === 1 ? '' : 's'} in a row since ${f.since} and none has started since ` +
      `(last: ${f.last}); calls that need a new sandbox answer 500 SANDBOX_FAILED. Run \`airlock doctor\` on this machine`
    );
  }

  /** `inner` with its starts watched; everything else passes through. */
  watch(inner: Isolator): Isolator {
    return {
      name: inner.name,
      isolation: inner.isolation,
      check: () => inner.check(),
      close: () => inner.close(),
      parseModule: (req) => inner.parseModule(req),
      spawn: (opts: SpawnOptions): Promise<Sandbox> =>
        inner.spawn(opts).then(
          (sandbox) => {
            this.started();
            return sandbox;
          },
          (err: unknown) => {
            this.failed(err);
            throw err;
          },
        ),
    };
  }

  private started(): void {
    const f = this.failing;
    if (f === undefined) return;
    this.failing = undefined;
    this.logger.info({ failedStarts: f.count, since: f.since }, `sandboxes start again, after ${f.count} failed start${f.count === 1 ? '' : 's'}`);
  }

  private failed(err: unknown): void {
    // A start cut short by the server's stop says nothing about the machine.
    if (isAirlockError(err) && err.code === 'SHUTTING_DOWN') return;
    const last = err instanceof Error ? err.message : String(err);
    if (this.failing !== undefined) {
      this.failing.count++;
      this.failing.last = last;
      return;
    }
    this.failing = { count: 1, since: new Date().toISOString(), last };
    this.logger.error(
      { err },
      `a sandbox could not be started: ${last}. Until one starts, calls that need a new sandbox answer 500 SANDBOX_FAILED ` +
        '(GET /healthz says degraded, check "sandboxes"); run `airlock doctor` on this machine to see why',
    );
  }
}
