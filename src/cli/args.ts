// Small helpers for the CLI's subcommands: node:util parseArgs, `--help` anywhere in a command's
// arguments, flags that take a whole number, reading files they name, and options that take JSON
// inline or from a file (`@file.json`).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { closest } from '../core/suggest.js';
import { closestName } from './suggest.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command line the argument parser refused; the CLI adds the command's usage to it. */
export class ArgumentError extends UsageError {
  override name = 'ArgumentError';
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw new ArgumentError(argumentProblem(err as Error & { code?: string }, Object.keys(options)));
  }
  refuseRepeats(parsed.tokens, options);
  const { values, positionals } = parsed;
  return { values, positionals };
}

/**
 * An option given twice is refused, as the API refuses a repeated query parameter: taking the
 * last one (node:util's way) would deploy `--tenant edge --tenant acme` to acme without a word.
 */
function refuseRepeats(tokens: readonly { kind: string; name?: string; rawName?: string }[], options: NonNullable<ParseArgsConfig['options']>): void {
  const seen = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined || options[token.name]?.multiple === true) continue;
    const earlier = seen.get(token.name);
    const spelled = token.rawName ?? `--${token.name}`;
    if (earlier !== undefined) {
      const as = earlier === spelled ? '' : ` (as ${earlier} and ${spelled})`;
      throw new ArgumentError(`--${token.name} is given more than once${as}; give it once`);
    }
    seen.set(token.name, spelled);
  }
}

/** node:util's refusal in the CLI's words: which option, and what to type instead (`known`: the command's options). */
function argumentProblem(err: Error & { code?: string }, known: readonly string[]): string {
  const option = /'(?:-\w, )?(--?[\w-]+)/.exec(err.message)?.[1];
  if (option === undefined) return err.message;
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    // A typo (--jsn), or a longer or shorter spelling of one option (--every-seconds for --every).
    const typed = option.slice(2);
    const meant = option.startsWith('--') ? (closest(typed, known) ?? closestName(typed, known)) : undefined;
    return `unknown option ${option}${meant === undefined ? '' : `; did you mean --${meant}?`}`;
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/ambiguous/.test(err.message)) return `${option} needs a value (one that starts with "-" is written ${option}=-…)`;
    if (/argument missing/.test(err.message)) return `${option} needs a value`;
    if (/does not take an argument/.test(err.message)) return `${option} takes no value`;
  }
  return err.message;
}

/**
 * Whether a command's arguments ask for its usage: `--help` or `-h` before any `--`. Strict
 * parsing never takes either as an option's value (it calls that ambiguous), so this needs no
 * knowledge of the command's options.
 */
export function asksForHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/**
 * The value of a flag that takes a whole number (`--timeout-ms 500`), or undefined when it was
 * not given. Anything but digits (`abc`, `1.5`, `-3`, `1e3`) or a number below `min` or above
 * `max` is a usage error naming the flag, so nothing is sent with a value the CLI cannot read.
 */
export function integerFlag(flag: string, raw: string | undefined, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    const tooLarge = value > max ? ' (too large)' : '';
    throw new UsageError(`${flag} must be a whole number ${range}, got ${JSON.stringify(raw)}${tooLarge}`);
  }
  return value;
}

const READ_FAILURES: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a directory in its path is a file',
};

/** Why a file could not be read, in words: "no such file", "permission denied", … */
export function readFailure(err: unknown): string {
  return READ_FAILURES[(err as NodeJS.ErrnoException).code ?? ''] ?? (err as Error).message;
}

/** The byte order mark some editors (Notepad, Visual Studio) put at the start of UTF-8 files. */
const BOM = '\uFEFF';

/**
 * Reads a file named on the command line (UTF-8, without a leading byte order mark unless
 * `keepBom`: a function's source is sent as it is, so that it gets the version the same bytes get
 * through the API); a file that cannot be read is a usage error naming it.
 */
export function readArgFile(path: string, what: string, options: { keepBom?: boolean } = {}): string {
  // `-` is standard input (`--input @-`, `deploy - --name N`), read to its end, once.
  if (path === STDIN) {
    if (stdinTakenBy !== undefined) throw new UsageError(`standard input can feed only one argument: it already holds ${stdinTakenBy}, so ${what} cannot come from it too`);
    stdinTakenBy = what;
  }
  let text: string;
  try {
    text = readFileSync(path === STDIN ? 0 : path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path === STDIN ? 'from standard input' : path}: ${readFailure(err)}`);
  }
  if (path === STDIN && text.trim() === '') throw new UsageError(`${what} was to come from standard input, but it was empty; pipe it in (… | airlock …) or redirect a file (< file)`);
  return text.startsWith(BOM) && options.keepBom !== true ? text.slice(BOM.length) : text;
}

/** The file name that stands for standard input. */
export const STDIN = '-';
/** What standard input was read for, once read (it can feed one argument only). */
let stdinTakenBy: string | undefined;

/**
 * The value of an option that takes JSON inline or, as `@path`, from a file (`--input`,
 * `--egress`). Bad JSON is a usage error naming the option and, for a file, the file.
 */
export function readJsonArg(option: string, raw: string, fileWhat: string): unknown {
  const path = raw.startsWith('@') ? raw.slice(1) : undefined;
  if (path === '') throw new UsageError(`${option} @ needs a file name after the @ (${option} @input.json), or - for standard input (${option} @-)`);
  const text = path === undefined ? raw : readArgFile(path, fileWhat);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new UsageError(
      path === undefined
        ? `${option} is not valid JSON (${why}); quote it: ${option} '{"a":1}' or use ${option} @file.json`
        : `${option}: ${path === STDIN ? 'standard input' : path} is not valid JSON (${why})`,
    );
  }
}
