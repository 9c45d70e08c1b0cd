// Errors as the host receives them: whatever the tenant threw (an Error, a subclass, a non-Error
// value, an AggregateError, a chain of causes) becomes one small HarnessError with capped fields,
// a stack of tenant frames only and no data: URLs; the harness's own failures (no handler, a
// result that is not JSON or too large) are HarnessFailures with a stable type. A ReferenceError
// for `require`, and a bundle's "Dynamic require of … is not supported", say what to write instead.
import type { HarnessError } from '../protocol.js';
import { inspect, stringOf } from './primordials.js';
import { mapStackText } from './source-maps.js';
import { hideModuleUrls, trimStack } from './stack-text.js';

/** Caps on error fields so an error frame stays small whatever the tenant throws. */
const MAX_ERROR_TYPE = 200;
const MAX_ERROR_MESSAGE = 8 * 1024;
const MAX_ERROR_STACK = 16 * 1024;
/** Causes and aggregated errors, written into the message they would otherwise be lost from. */
const MAX_CAUSES = 3;
const MAX_AGGREGATED = 5;

export class HarnessFailure extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) + '…' : text;
}

export function safeMessage(err: unknown): string {
  try {
    if (err instanceof Error) return stringOf(err.message);
    return stringOf(err);
  } catch {
    return '[unprintable]';
  }
}

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

/**
 * Said after Node's ReferenceError for `require` (a function module is an ES module, so it has
 * none: "require is not defined", at load "… in ES module scope, you can use import instead").
 */
const REQUIRE_HINT =
  "; a function is an ES module, which has no require: import Node's built-in modules instead " +
  "(`import fs from 'node:fs'`), or make a require for them with " +
  "`import { createRequire } from 'node:module'; const require = createRequire('/fn/');`";

/**
 * Said after esbuild's error for a `require()` left in an ES module bundle (a bundled CommonJS
 * dependency requiring a built-in module): the banner README gives such a bundle a `require`.
 */
const DYNAMIC_REQUIRE_HINT =
  '; the function was bundled as an ES module, which has no require for the bundled CommonJS code to call: ' +
  "give the bundle one with esbuild's banner (see README, Functions): " +
  '`--banner:js="import { createRequire } from \'node:module\'; const require = createRequire(\'/fn/\');"`';

/** esbuild's __require shim: `Dynamic require of "node:os" is not supported`. */
const DYNAMIC_REQUIRE = /^Dynamic require of "[^"]*" is not supported$/;

function requireHint(name: unknown, message: string): string {
  if (name === 'ReferenceError' && message.startsWith('require is not defined')) return REQUIRE_HINT;
  if (name === 'Error' && DYNAMIC_REQUIRE.test(message)) return DYNAMIC_REQUIRE_HINT;
  return '';
}

/** Node's error for an import that cannot resolve: its cause ("Invalid URL") is Node's own, not the tenant's. */
function unresolvedImport(message: unknown): boolean {
  return typeof message === 'string' && message.startsWith('Failed to resolve module specifier');
}

export function toHarnessError(err: unknown): HarnessError {
  if (readSafely(() => err instanceof HarnessFailure, false)) {
    const failure = err as HarnessFailure;
    return { type: failure.type, message: failure.message };
  }
  try {
    if (err !== null && typeof err === 'object' && readSafely(() => 'message' in err, false)) return describeError(err);
    return {
      type: 'NonErrorThrown',
      message: clip(hideModuleUrls(`the function threw a non-Error value: ${inspect(err, { depth: 2 })}`), MAX_ERROR_MESSAGE),
    };
  } catch {
    return { type: 'NonErrorThrown', message: 'the function threw a value that cannot be described' };
  }
}

/** A message whose getter threw. */
const UNREADABLE = Symbol('unreadable');

/** What `get` answers, or `fallback` when it throws (a tenant's getter or Proxy trap). */
function readSafely<T>(get: () => T, fallback: T): T {
  try {
    return get();
  } catch {
    return fallback;
  }
}

/**
 * An Error-like value (it has a `message`): each of its parts is read on its own, so a getter that
 * throws (name, message, stack, a cause) costs that part only, never the whole description.
 */
function describeError(err: object): HarnessError {
  const obj = err as { name?: unknown; message?: unknown; stack?: unknown; constructor?: { name?: unknown } };
  const ownName = readSafely(() => (typeof obj.name === 'string' && obj.name !== '' ? obj.name : undefined), undefined);
  const ctorName = readSafely(() => obj.constructor?.name, undefined);
  // `class QuotaError extends Error {}` keeps name 'Error': prefer the class name then.
  const name = (ownName === undefined || ownName === 'Error') && typeof ctorName === 'string' && ctorName !== '' ? ctorName : ownName;
  const rawMessage = readSafely(() => obj.message, UNREADABLE);
  const message = rawMessage === UNREADABLE ? '[its message could not be read: reading it threw]' : readSafely(() => stringOf(rawMessage), '[unprintable]');
  const extra = unresolvedImport(rawMessage) ? '' : readSafely(() => related(err), '');
  const out: HarnessError = {
    type: clip(typeof name === 'string' && name !== '' ? name : 'Error', MAX_ERROR_TYPE),
    message: clip(hideModuleUrls(message + requireHint(name, message) + extra), MAX_ERROR_MESSAGE),
  };
  const stack = readSafely(() => obj.stack, undefined);
  if (typeof stack === 'string') out.stack = clip(mapStackText(hideModuleUrls(trimStack(stack))), MAX_ERROR_STACK);
  return out;
}
