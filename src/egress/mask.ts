// Masks substituted secret values out of what an execution hands back (result, error, logs)
// when its egress session used secrets: every string, object keys included, is passed through
// the session's mask, so a value the function got back (e.g. echoed) is never returned or stored.
import type { ExecutionError, LogLine } from '../core/types.js';
import type { EgressSession } from './types.js';

type Mask = (text: string) => string;

/** A copy of a JSON value with every string masked (iterative: results can nest deeply). */
export function maskJson(value: unknown, mask: Mask): unknown {
  if (typeof value === 'string') return mask(value);
  if (value === null || typeof value !== 'object') return value;
  const root: { v: unknown } = { v: undefined };
  const stack: [unknown, Record<string, unknown> | unknown[], string | number][] = [[value, root as Record<string, unknown>, 'v']];
  while (stack.length > 0) {
    const [src, parent, key] = stack.pop()!;
    let out: unknown;
    if (typeof src === 'string') out = mask(src);
    else if (Array.isArray(src)) {
      const arr: unknown[] = new Array<unknown>(src.length);
      src.forEach((item, i) => stack.push([item, arr, i]));
      out = arr;
    } else if (src !== null && typeof src === 'object') {
      const obj: Record<string, unknown> = {};
      // Keys defined now, in the source's order (the stack fills them in last-first).
      for (const [k, v] of Object.entries(src)) {
        const masked = mask(k);
        Object.defineProperty(obj, masked, { value: undefined, enumerable: true, writable: true, configurable: true });
        stack.push([v, obj, masked]);
      }
      out = obj;
    } else out = src;
    if (Array.isArray(parent)) parent[key as number] = out;
    else Object.defineProperty(parent, key as string, { value: out, enumerable: true, writable: true, configurable: true });
  }
  return root.v;
}

export function maskError(error: ExecutionError, mask: Mask): ExecutionError {
  const out: ExecutionError = { type: mask(error.type), message: mask(error.message) };
  if (error.stack !== undefined) out.stack = mask(error.stack);
  return out;
}

export function maskLogs(logs: LogLine[], mask: Mask): LogLine[] {
  return logs.map((line) => ({ ...line, msg: mask(line.msg) }));
}

/**
 * `logs` masked when `session` has substituted a secret (else as they are): for the logs of a run
 * still in progress, which readers see before its outcome is masked.
 */
export function maskedLogs(logs: LogLine[], session: Pick<EgressSession, 'usedSecrets' | 'mask'> | undefined): LogLine[] {
  return session?.usedSecrets === true ? maskLogs(logs, (text) => session.mask(text)) : logs;
}

/**
 * Masks, in place, every secret value `session` substituted out of an outcome's result, error and
 * logs (a no-op when the execution used no secret). Invocations and job slices both call it.
 */
export function maskOutcome(
  outcome: { result?: unknown; resultJson?: string; error?: ExecutionError; logs: LogLine[] },
  session: Pick<EgressSession, 'usedSecrets' | 'mask'> | undefined,
): void {
  if (session?.usedSecrets !== true) return;
  const mask: Mask = (text) => session.mask(text);
  if (outcome.result !== undefined) {
    outcome.result = maskJson(outcome.result, mask);
    delete outcome.resultJson; // the text of the unmasked result
  }
  if (outcome.error !== undefined) outcome.error = maskError(outcome.error, mask);
  outcome.logs = maskLogs(outcome.logs, mask);
}
