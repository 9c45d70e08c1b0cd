// Tenant code: each function version's module is imported once, from a data: URL named
// file:///fn/<name>.<version>.mjs in stacks, and kept for the sandbox's life; its handler is the
// default export or `handler`, and anything else (no such export, not a function, a class) is a
// MissingHandler failure that says which shapes work. An error its top-level code throws as it
// loads says so (withLoadNote): its stack names no function, and every call fails the same way.
import type { HarnessError, RunFrame } from '../protocol.js';
import { mentionsJobMembers } from './absent-ctx-hints.js';
import { HarnessFailure } from './errors.js';
import { CODE_URL_PREFIX, MODULE_DATA_URL } from './paths.js';
import { bufferFrom, functionSource, reflectApply } from './primordials.js';
import { noteSourceMap } from './source-maps.js';

export type TenantModule = Record<string, unknown>;
export type Handler = (input: unknown, ctx: unknown) => unknown;

const modules = new Map<string, Promise<TenantModule>>();
/** Per loaded version: whether its source mentions `.checkpoint` or `.job` (absent-ctx-hints.ts). */
const jobMemberMentions = new Map<string, boolean>();
/** Code that came with a run the host took back before it started, by version: not loaded yet. */
const unloadedCode = new Map<string, string>();

function safeName(text: string, max: number): string {
  const cleaned = text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, max);
  return cleaned === '' ? 'fn' : cleaned;
}

/**
 * Imports module source from a data: URL (a third of the cost of writing a file and importing
 * it). The appended sourceURL names it in stack traces as file:///fn/<name>, and the URL's `fn`
 * parameter lets errors that quote the URL name it the same way (hideModuleUrls); since the name
 * carries the version, every version is its own module even when two share their code. An inline
 * source map at the code's end is noted, for stacks in the original sources (source-maps.ts).
 */
function importSource(code: string, name: string): Promise<TenantModule> {
  noteSourceMap(name, code);
  const source = `${code}\n//# sourceURL=${CODE_URL_PREFIX}${name}\n`;
  return import(`${MODULE_DATA_URL}${name};base64,${bufferFrom(source, 'utf8').toString('base64')}`) as Promise<TenantModule>;
}

export function loadModule(fn: RunFrame['fn']): Promise<TenantModule> {
  const cached = modules.get(fn.version);
  if (cached !== undefined && fn.code === undefined) return cached;
  const code = fn.code ?? unloadedCode.get(fn.version);
  unloadedCode.delete(fn.version);
  if (code === undefined) {
    return Promise.reject(
      new HarnessFailure('CodeNotLoaded', `version ${fn.version} was never sent to this sandbox`),
    );
  }
  jobMemberMentions.set(fn.version, mentionsJobMembers(code));
  const loading = importSource(code, `${safeName(fn.name, 64)}.${safeName(fn.version, 12)}.mjs`);
  modules.set(fn.version, loading);
  return loading;
}

/**
 * A run the host took back before it started: the host counts its code as sent, so a later run
 * of that version comes without it; keep the code until then.
 */
export function keepUnstartedCode(fn: RunFrame['fn']): void {
  if (fn.code !== undefined && !modules.has(fn.version)) unloadedCode.set(fn.version, fn.code);
}

/** Forgets a loaded version (the warm-up's). */
export function forgetModule(version: string): void {
  modules.delete(version);
  jobMemberMentions.delete(version);
}

/** Whether a loaded version's source mentions `.checkpoint` or `.job`. */
export function mentionsJobMembersOf(version: string): boolean {
  return jobMemberMentions.get(version) === true;
}

/** Said after an error the module's top-level code threw as it loaded (its stack names no function). */
const LOAD_NOTE =
  "; thrown by the module's top-level code as it loaded, before the function was called, so every call of " +
  'this version fails the same way: fix it and deploy again, or move that code into the function';

/** The error of a module that failed to load, saying so (a HarnessFailure, the harness's own, is left alone). */
export function withLoadNote(error: HarnessError, err: unknown): HarnessError {
  return err instanceof HarnessFailure ? error : { ...error, message: error.message + LOAD_NOTE };
}

const HANDLER_SHAPES = 'the function module must `export default async function (input, ctx)` or `export async function handler(input, ctx)`';

/** "a number", "an object", "null", "an array": what a non-function export is. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const kind = typeof value;
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

export function pickHandler(mod: TenantModule): Handler {
  const candidate = typeof mod.default === 'function' ? mod.default : mod.handler;
  if (typeof candidate === 'function') return candidate as Handler;
  const names = Object.keys(mod);
  const present = (['default', 'handler'] as const).filter((n) => mod[n] !== undefined);
  const exported =
    present.length > 0
      ? `${present.map((n) => `its ${n} export is ${kindOf(mod[n])}`).join(' and ')}, not a function`
      : `it exports ${names.length > 0 ? names.join(', ') : 'nothing'}`;
  throw new HarnessFailure('MissingHandler', `${HANDLER_SHAPES}; ${exported}`);
}

/** True for a class (which cannot be called without `new`); only asked once a call has thrown. */
function isClass(fn: Handler): boolean {
  try {
    return /^class\b/.test(reflectApply(functionSource, fn, []) as string);
  } catch {
    return false;
  }
}

/**
 * Calls the handler. A class exported as the handler throws at once ("Class constructor … cannot
 * be invoked without 'new'"), which becomes MissingHandler; telling a class apart costs nothing
 * until then.
 */
export function callHandler(mod: TenantModule, handler: Handler, input: unknown, ctx: unknown): unknown {
  try {
    return handler(input, ctx);
  } catch (err) {
    if (!isClass(handler)) throw err;
    const which = mod.default === handler ? 'default' : 'handler';
    const name = typeof handler.name === 'string' && handler.name !== '' && handler.name !== 'default' ? handler.name : 'Handler';
    throw new HarnessFailure(
      'MissingHandler',
      `${HANDLER_SHAPES}; its ${which} export is a class (${name}), not a function, and a class cannot be called ` +
        `without \`new\`: export a function that uses it instead, e.g. \`export ${which === 'default' ? 'default async function (input, ctx)' : 'async function handler(input, ctx)'} ` +
        `{ return new ${name === 'handler' ? 'Handler' : name}().run(input, ctx); }\``,
    );
  }
}
