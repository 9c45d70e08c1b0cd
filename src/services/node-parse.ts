// Has V8 parse a function module at deploy: the only parser that agrees with the sandbox's Node on
// every early error and on which new syntax it can run. Like any parser fed tenant source it is
// attack surface, so it never runs in the server's process: each parse gets a sandbox of its own
// with every layer a function's sandbox has (Isolator.parseModule, runtime/parse-check.cts),
// started for that one module and ended before the verdict is used, so a sandbox that parsed one
// tenant's module never sees another's. The module is compiled there, never linked or run. At
// most PARALLEL_PARSES run at once; the others wait in one queue per tenant, served round-robin
// across tenants (one tenant's burst of deploys does not hold up another's), at most
// MAX_QUEUED_PER_TENANT each (then 429 with Retry-After). A check that cannot start or
// answer fails closed (SYNTAX_CHECK_FAILED): the deploy is refused, never let through unchecked.
// On shutdown, close() lets the checks of deploys in flight finish before the isolator closes, and
// a deploy that arrives after it is SHUTTING_DOWN.
import { AirlockError } from '../core/errors.js';
import type { Isolator, ModuleParseError } from '../sandbox/port.js';

export type { ModuleParseError };

/** V8's error for `code` as an ES module of `tenant`, or undefined when it compiles. */
export type ModuleParser = ((code: string, tenant: string) => Promise<ModuleParseError | undefined>) & {
  /**
   * Counts a deploy in flight from before its type stripping, so that a stop beginning meanwhile
   * waits for it (its parse then still runs); answers the release. Throws SHUTTING_DOWN once closed.
   */
  hold?(): () => void;
};

/** Start and parse of the largest module take well under a second; past this the sandbox is killed. */
const PARSE_DEADLINE_MS = 10_000;
/** The check sandbox's V8 heap: room for parsing a multi-megabyte bundle, bounded all the same. */
const PARSE_MEMORY_MIB = 256;
/** Check sandboxes alive at once (deploys are rare; a burst of them waits instead of piling up). */
const PARALLEL_PARSES = 2;
/** Deploys of one tenant waiting for a check sandbox; one more is TOO_MANY_REQUESTS. */
export const MAX_QUEUED_PER_TENANT = 32;

/** A parser that can be closed: the server's, stopped before its isolator. */
export interface SandboxedParser extends ModuleParser {
  /** Refuses new parses (SHUTTING_DOWN) and resolves once every parse begun or queued has ended. */
  close(): Promise<void>;
}

/** The deploy's parser: one short-lived sandbox of `isolator` per module. */
export function sandboxedParser(isolator: Pick<Isolator, 'parseModule'>): SandboxedParser {
  let running = 0;
  let inFlight = 0;
  let closed = false;
  let idle: (() => void) | undefined;
  // Waiting deploys by tenant; a Map keeps insertion order, so its first key is the next tenant served.
  const waiting = new Map<string, (() => void)[]>();

  /** Hands the slot to the first waiter of the next tenant in turn (that tenant goes to the back). */
  const handOn = (): void => {
    const first = waiting.entries().next();
    if (first.done === true) {
      running--;
      return;
    }
    const [tenant, queue] = first.value;
    const next = queue.shift()!;
    waiting.delete(tenant);
    if (queue.length > 0) waiting.set(tenant, queue);
    next();
  };

  const takeSlot = async (tenant: string): Promise<void> => {
    if (running < PARALLEL_PARSES) {
      running++;
      return;
    }
    const queue = waiting.get(tenant) ?? [];
    if (queue.length >= MAX_QUEUED_PER_TENANT) {
      throw new AirlockError(
        'TOO_MANY_REQUESTS',
        `${MAX_QUEUED_PER_TENANT} deploys of tenant ${tenant} are already waiting for their syntax check; deploy again in a moment`,
        { retryAfterSeconds: 1 },
      );
    }
    await new Promise<void>((resolve) => {
      queue.push(resolve);
      if (!waiting.has(tenant)) waiting.set(tenant, queue);
    });
  };

  const stopping = (): AirlockError =>
    new AirlockError('SHUTTING_DOWN', 'the server is stopping; the function was not deployed: deploy it again once the server is back');
  /** Deploys held (see ModuleParser.hold): while any is, parses still start after close(). */
  let held = 0;

  const parse = async (code: string, tenant: string): Promise<ModuleParseError | undefined> => {
    if (closed && held === 0) throw stopping();
    inFlight++;
    try {
      await takeSlot(tenant);
      try {
        return await isolator.parseModule({ code, tenant, memoryMiB: PARSE_MEMORY_MIB, timeoutMs: PARSE_DEADLINE_MS });
      } finally {
        handOn();
      }
    } finally {
      if (--inFlight === 0) idle?.();
    }
  };
  return Object.assign(parse, {
    hold(): () => void {
      if (closed) throw stopping();
      inFlight++;
      held++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held--;
        if (--inFlight === 0) idle?.();
      };
    },
    close(): Promise<void> {
      closed = true;
      return inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
    },
  });
}
