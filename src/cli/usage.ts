// Every command's usage, written once: `airlock --help` prints all of it, `airlock <command>
// --help` and a command's usage errors print that command's part.
import { UsageError } from './args.js';
import { closestName } from './suggest.js';

interface UsageLine {
  /** How to call it, as typed in a shell. */
  synopsis: string;
  /** What it does, in a few words. */
  does: string;
}

const line = (synopsis: string, does: string): UsageLine => ({ synopsis, does });

const USAGE = {
  server: [
    line('airlock server [--port N] [--host H] [--data-dir DIR] [--isolation bwrap|process]', 'run the server (flags override AIRLOCK_PORT, AIRLOCK_HOST, AIRLOCK_DATA_DIR, AIRLOCK_ISOLATION)'),
  ],
  doctor: [
    line('airlock doctor [--isolation bwrap|process] [--json]', 'check each isolation layer on this machine (no server needed)'),
  ],
  types: [
    line('airlock types', "print the TypeScript types of a function's ctx (Context, JobContext, Handler): airlock types > airlock.d.ts"),
  ],
  deploy: [
    line(
      'airlock deploy <file> --tenant T [--name N] [--runtime javascript|typescript] [--timeout-ms MS] [--memory-mib MIB] [--input-bytes B] [--result-bytes B] [--log-bytes B] [--isolation tenant|function|execution] [--egress JSON|@policy.json] [--bundle]',
      'upload a function module as a new version (name from the file name, runtime from its extension unless given; --bundle: a bundler\'s output, which may be larger)',
    ),
  ],
  functions: [
    line('airlock functions <tenant> [--json]', "list a tenant's functions"),
    line('airlock functions <tenant>/<function> [--version V] [--json]', 'show a function: its version, limits, isolation, egress and webhook URL'),
    line('airlock functions <tenant>/<function> [--version V] --code', "print a version's source as deployed (> file.ts saves it)"),
    line('airlock functions <tenant>/<function> --versions [--json]', "list a function's versions by first deploy, newest first, with their settings, and which is the latest"),
    line('airlock functions rollback <tenant>/<function> --version V [--json]', 'make an existing version the latest again (nothing is redeployed)'),
    line('airlock functions delete <tenant>/<function>', 'delete a function, all its versions, its webhook and its schedules'),
  ],
  invoke: [
    line('airlock invoke <tenant>/<function> [--input JSON|@file] [--version V] [--timeout-ms MS]', 'run a function and print the execution as JSON; --timeout-ms: less time than its limit for this call'),
    line('airlock invoke <tenant>/<function> --inputs JSON|@file [--version V] [--timeout-ms MS]', 'run it once per element of a JSON array (a batch) and print the answers in order'),
  ],
  executions: [
    line('airlock executions <tenant> [--function F] [--status S] [--job ID] [--since T] [--until T] [--limit N] [--before ID] [--json]', "list a tenant's recent executions, a page at a time; T: a time (2026-12-07T08:00:00Z) or how long ago (15m, 2h, 7d)"),
    line('airlock executions <tenant> <id>', 'print one execution as JSON'),
    line('airlock executions --all-tenants --status S [--tenant T] [--function F] [--since T] [--until T] [--limit N] [--before ID] [--json]', 'every tenant\'s executions that ended S (failed, timeout, oom, killed, rejected); admin key'),
  ],
  jobs: [
    line('airlock jobs submit <tenant>/<function> [--input JSON|@file] [--idempotency-key K] [--max-run-ms MS] [--max-attempts N] [--deadline-ms MS]', 'queue a background job; prints {"jobId", "created"}'),
    line('airlock jobs get <tenant> <id>', 'print one job as JSON'),
    line('airlock jobs list <tenant> [--function F] [--status S] [--idempotency-key K] [--limit N] [--before ID] [--json]', "list a tenant's jobs, a page at a time (--idempotency-key: the one job with that key)"),
    line('airlock jobs cancel <tenant> <id>', 'cancel a queued or running job'),
    line('airlock jobs retry <tenant> <id> [--version H] [--max-attempts N] [--deadline-ms MS] [--max-run-ms MS]', 'run a failed, dead or cancelled job again, from its last checkpoint'),
    line('airlock jobs retry <tenant> --function F [--status dead|failed|cancelled] [--limit N] [--version H] [--max-attempts N] [--deadline-ms MS] [--max-run-ms MS]', "run many of a function's dead (or failed, or cancelled) jobs again, newest first"),
  ],
  schedules: [
    line(
      'airlock schedules set <tenant>/<schedule> --function F (--cron EXPR | --every SECONDS) [--input JSON|@file] [--timezone TZ] [--overlap skip|allow]',
      'create or replace a schedule that runs a function as a job',
    ),
    line('airlock schedules get <tenant> <schedule>', 'print one schedule as JSON'),
    line('airlock schedules list <tenant> [--json]', "list a tenant's schedules"),
    line('airlock schedules runs <tenant> <schedule> [--limit N] [--before TIME] [--json]', "list a schedule's occurrences, a page at a time"),
    line('airlock schedules delete <tenant> <schedule>', 'delete a schedule'),
  ],
  hooks: [
    line('airlock hooks show <tenant>/<function> [--json]', 'print the webhook URL to give the third party'),
    line('airlock hooks rotate <tenant>/<function> [--json]', 'issue a new token; the old URL stops working at once (turns a webhook that is off back on)'),
    line('airlock hooks off <tenant>/<function>', 'turn the webhook off: its URL stops working at once, redeploys issue none'),
    line(
      'airlock hooks verify <tenant>/<function> --preset github|stripe|slack|standard-webhooks --secret NAME [--tolerance-seconds S]',
      "refuse deliveries without the provider's valid signature (401); the key is the tenant secret NAME (a --signing-key)",
    ),
    line(
      'airlock hooks verify <tenant>/<function> --preset hmac --secret NAME --header H [--algorithm sha256|sha1|sha512] [--encoding hex|base64] [--prefix P]',
      'the same for any other provider: an HMAC of the body in header H',
    ),
    line('airlock hooks verify <tenant>/<function> [--json] | --off', 'show the signature verification, or turn it off'),
  ],
  keys: [
    line('airlock keys create <tenant> [--name N]', 'create an API key for the tenant, named for what it is for (printed once)'),
    line('airlock keys list <tenant> [--json]', "list a tenant's key ids, prefixes, creation times and names"),
    line('airlock keys revoke <tenant> <id>', 'revoke a key'),
    line('airlock keys find [--json] < file', 'say which key a whole key is (id, tenant, name), read from stdin or pasted'),
  ],
  tenants: [
    line('airlock tenants list [--limit N] [--after T] [--json]', 'list the tenants with anything stored, with their counts (admin key)'),
    line('airlock tenants delete <tenant> --yes [--json]', 'delete everything of a tenant: functions, keys, secrets, schedules, jobs, executions (admin key)'),
  ],
  secrets: [
    line('printf %s "$VALUE" | airlock secrets set <tenant> <name> --hosts H[,H...]', 'store a secret read from stdin, sendable only to those hosts'),
    line('airlock secrets set <tenant> <name> --hosts H[,H...] --value-file FILE', 'the same, with the value read from a file'),
    line('printf %s "$VALUE" | airlock secrets set <tenant> <name> --signing-key', 'store a webhook signing key (sent to no host; for airlock hooks verify)'),
    line('airlock secrets list <tenant> [--json]', "list a tenant's secret names and hosts (never values)"),
    line('airlock secrets delete <tenant> <name>', 'delete a secret'),
  ],
} satisfies Record<string, UsageLine[]>;

export type CommandName = keyof typeof USAGE;

/** Every command of the CLI, in the order the help lists them. */
export const COMMAND_NAMES = Object.keys(USAGE) as CommandName[];

export function isCommandName(word: string): word is CommandName {
  return Object.hasOwn(USAGE, word);
}

function render(lines: UsageLine[]): string {
  return lines.map((l) => `  ${l.synopsis}\n      ${l.does}\n`).join('');
}

/** One command's usage, as printed by `airlock <command> --help` and after its usage errors. */
export function commandUsage(command: CommandName): string {
  return `usage:\n${render(USAGE[command])}`;
}

/** `airlock --help`: every command's usage, the environment and the exit codes. */
export function fullHelp(): string {
  return `airlock: run untrusted tenant functions in sandboxes

usage:
${Object.values(USAGE).map(render).join('')}
  airlock <command> --help prints that command's usage.

environment:
  AIRLOCK_URL       the server's base URL (default http://127.0.0.1:8080)
  AIRLOCK_KEY       API key to send (default: the admin key in $AIRLOCK_DATA_DIR/admin.key,
                    or ./.airlock/admin.key when AIRLOCK_DATA_DIR is not set)
  server settings: see docs/configuration.md; the CLI: docs/cli.md

exit status: 0 done; 1 failed (an error from the server or none reachable, a run that did not
             succeed, a required isolation layer missing); 2 usage error (fix the command line
             or the environment)
`;
}

/** A usage error: what is wrong, then the command's usage. */
export function usageError(command: CommandName, problem: string): UsageError {
  return new UsageError(`${problem}\n\n${commandUsage(command).trimEnd()}`);
}

/** The sub-commands a command's usage lines name (`jobs` → submit, get, list, cancel, retry). */
function subcommandsOf(command: CommandName): string[] {
  const words = USAGE[command].map((l) => l.synopsis.split(' ')[2] ?? '');
  return [...new Set(words.filter((w) => /^[a-z]+$/.test(w)))];
}

/**
 * A missing or unknown sub-command (`airlock jobs`, `airlock jobs frobnicate`), with the one
 * sub-command close to a mistyped one (`jobs retyr`: did you mean "jobs retry"?).
 */
export function unknownSubcommand(command: CommandName, word: string | undefined): UsageError {
  if (word === undefined) return usageError(command, `airlock ${command} needs a sub-command`);
  const close = closestName(word, subcommandsOf(command));
  return usageError(command, `unknown sub-command "${command} ${word}"${close === undefined ? '' : `; did you mean "${command} ${close}"?`}`);
}

/** The positional arguments once the required ones are known to be there. */
type Positionals<Required extends readonly string[]> = [...{ -readonly [K in keyof Required]: string }, ...(string | undefined)[]];

/**
 * A command's positional arguments, refusing missing and extra ones: every one of `required`
 * (named in the error, e.g. `<tenant>`) must be given, and at most `optional.length` more.
 */
export function takePositionals<const Required extends readonly string[]>(
  command: CommandName,
  positionals: string[],
  required: Required,
  optional: readonly string[] = [],
): Positionals<Required> {
  const missing = required[positionals.length];
  if (missing !== undefined) throw usageError(command, `missing ${missing}`);
  const extra = positionals[required.length + optional.length];
  if (extra !== undefined) throw usageError(command, `unexpected argument "${extra}"`);
  return positionals as Positionals<Required>;
}

/**
 * Refuses options that `command sub` does not take. A command's sub-commands are parsed with all
 * of its options, so without this `airlock jobs get acme j1 --input x` would drop `--input` unseen.
 */
export function onlyOptions(command: CommandName, sub: string, values: Record<string, unknown>, takes: readonly string[]): void {
  const stray = Object.keys(values).find((option) => values[option] !== undefined && !takes.includes(option));
  if (stray === undefined) return;
  const what = takes.length === 0 ? 'takes no options' : `takes ${takes.map((o) => `--${o}`).join(', ')}`;
  throw usageError(command, `--${stray} does not apply to ${command} ${sub}, which ${what}`);
}
