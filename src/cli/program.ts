// What every `airlock` program does around its commands: help (`--help`, `help <command>`),
// unknown commands with a did-you-mean, the command's usage after an argument error, and the exit
// status and message of whatever a command throws. The client program (client-program.ts) and the
// server program (server-program.ts) each run their own commands through it.
import { isAirlockError } from '../core/errors.js';
import { ArgumentError, asksForHelp, UsageError } from './args.js';
import { stopOnBrokenPipe } from './broken-pipe.js';
import { ApiError } from './client.js';
import { closestName } from './suggest.js';
import { COMMAND_NAMES, commandUsage, fullHelp, isCommandName, usageError } from './usage.js';
import type { CommandName } from './usage.js';

/** Exit code of a command that keeps the process running (the server, until a signal). */
export const KEEP_RUNNING = -1;

/** A command: its arguments in, its exit code out (or KEEP_RUNNING). */
export type Command = (args: string[]) => Promise<number>;

/** Exit code 0 once a command that reports failure by throwing has finished. */
export async function zeroWhenDone(run: Promise<void>): Promise<number> {
  await run;
  return 0;
}

/** `unknown command "job"; did you mean "jobs"?` (when one command is close), then the full help. */
function unknownCommand(word: string): UsageError {
  const close = closestName(word, COMMAND_NAMES);
  const suggestion = close === undefined ? '' : `; did you mean "${close}"?`;
  return new UsageError(`unknown command "${word}"${suggestion}\n\n${fullHelp().trimEnd()}`);
}

/**
 * A command of the CLI that this program does not have: `server` or `doctor` run from the client
 * commands' one-file copy (client-program.bundle.js), which a tenant developer gets without the
 * platform itself. Saying it is unknown, with itself as the suggestion, left them guessing.
 */
function notInThisProgram(name: CommandName): UsageError {
  return new UsageError(
    `"airlock ${name}" is not in this file, which has the client commands only (the one file handed out to ` +
      `run them without the server): ${name} runs on the server's machine, from Airlock's checkout or its ` +
      'installed package (npm install -g airlock-<version>.tgz; README, "Installing without a checkout")',
  );
}

/** `airlock`, `airlock --help` and `airlock help [command]`. */
function printHelp(topic: string | undefined): number {
  if (topic === undefined || topic === 'help' || topic === '--help' || topic === '-h') process.stdout.write(fullHelp());
  else if (isCommandName(topic)) process.stdout.write(commandUsage(topic));
  else throw unknownCommand(topic);
  return 0;
}

async function main(commands: Partial<Record<CommandName, Command>>, argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') return printHelp(undefined);
  if (name === 'help') return printHelp(rest[0]);
  if (!isCommandName(name)) throw unknownCommand(name);
  const command = commands[name];
  if (command === undefined) throw notInThisProgram(name);
  if (asksForHelp(rest)) return printHelp(name);
  try {
    return await command(rest);
  } catch (err) {
    // The argument parser does not know the command: its refusals get the command's usage here.
    if (err instanceof ArgumentError) throw usageError(name, err.message);
    throw err;
  }
}

/** Exit status 2 for usage errors, 1 for everything else, with the message on stderr. */
function report(err: unknown): void {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
  } else if (err instanceof ApiError) {
    process.stderr.write(`error ${err.code}: ${err.message}\n${err.hint === undefined ? '' : `${err.hint}\n`}`);
    process.exitCode = 1;
  } else if (isAirlockError(err)) {
    process.stderr.write(`error ${err.code}: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}

/**
 * Runs the command `argv` names among `commands` (or help), and sets process.exitCode when it is
 * done. A command of the CLI that is not in `commands` is refused as unknown: main.ts sends each
 * command to the program that has it.
 */
export async function runProgram(commands: Partial<Record<CommandName, Command>>, argv: string[]): Promise<void> {
  stopOnBrokenPipe(process.stdout);
  stopOnBrokenPipe(process.stderr);
  try {
    const code = await main(commands, argv);
    if (code !== KEEP_RUNNING) process.exitCode = code;
  } catch (err) {
    report(err);
  }
}
