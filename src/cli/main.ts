#!/usr/bin/env node
// The `airlock` command: `server` runs the platform; the other commands talk to a running server
// over HTTP (AIRLOCK_URL, AIRLOCK_KEY). `airlock <command> --help` prints that command's usage
// without running it.
import { isAirlockError } from '../core/errors.js';
import { ArgumentError, asksForHelp, UsageError } from './args.js';
import { stopOnBrokenPipe } from './broken-pipe.js';
import { ApiError, createClient } from './client.js';
import { deployCommand } from './commands/deploy.js';
import { executionsCommand } from './commands/executions.js';
import { functionsCommand } from './commands/functions.js';
import { hooksCommand } from './commands/hooks.js';
import { invokeCommand } from './commands/invoke.js';
import { jobsCommand } from './commands/jobs.js';
import { keysCommand } from './commands/keys.js';
import { schedulesCommand } from './commands/schedules.js';
import { secretsCommand } from './commands/secrets.js';
import { closestName } from './suggest.js';
import { commandUsage, fullHelp, isCommandName, usageError } from './usage.js';
import type { CommandName } from './usage.js';

/** Exit code of a command that keeps the process running (the server, until a signal). */
const KEEP_RUNNING = -1;

/** Exit code 0 once a command that reports failure by throwing has finished. */
async function zeroWhenDone(run: Promise<void>): Promise<number> {
  await run;
  return 0;
}

// `server` and `doctor` load the server's whole stack (Fastify, SQLite, the sandbox layers): they
// are imported only when run, so the client commands start in a fraction of the time.
const COMMANDS: Record<CommandName, (args: string[]) => Promise<number>> = {
  server: async (args) => {
    const { serverCommand } = await import('./commands/server.js');
    await serverCommand(args);
    return KEEP_RUNNING;
  },
  doctor: async (args) => (await import('./commands/doctor.js')).doctorCommand(args),
  deploy: (args) => zeroWhenDone(deployCommand(args, createClient())),
  functions: (args) => zeroWhenDone(functionsCommand(args, createClient())),
  invoke: (args) => invokeCommand(args, createClient()),
  executions: (args) => zeroWhenDone(executionsCommand(args, createClient())),
  jobs: (args) => zeroWhenDone(jobsCommand(args, createClient())),
  schedules: (args) => zeroWhenDone(schedulesCommand(args, createClient())),
  hooks: (args) => zeroWhenDone(hooksCommand(args, createClient())),
  keys: (args) => zeroWhenDone(keysCommand(args, createClient())),
  secrets: (args) => zeroWhenDone(secretsCommand(args, createClient())),
};

/** `unknown command "job"; did you mean "jobs"?` (when one command is close), then the full help. */
function unknownCommand(word: string): UsageError {
  const close = closestName(word, Object.keys(COMMANDS));
  const suggestion = close === undefined ? '' : `; did you mean "${close}"?`;
  return new UsageError(`unknown command "${word}"${suggestion}\n\n${fullHelp().trimEnd()}`);
}

/** `airlock`, `airlock --help` and `airlock help [command]`. */
function printHelp(topic: string | undefined): number {
  if (topic === undefined || topic === 'help' || topic === '--help' || topic === '-h') process.stdout.write(fullHelp());
  else if (isCommandName(topic)) process.stdout.write(commandUsage(topic));
  else throw unknownCommand(topic);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') return printHelp(undefined);
  if (command === 'help') return printHelp(rest[0]);
  if (!isCommandName(command)) throw unknownCommand(command);
  if (asksForHelp(rest)) return printHelp(command);
  try {
    return await COMMANDS[command](rest);
  } catch (err) {
    // The argument parser does not know the command: its refusals get the command's usage here.
    if (err instanceof ArgumentError) throw usageError(command, err.message);
    throw err;
  }
}

stopOnBrokenPipe(process.stdout);
stopOnBrokenPipe(process.stderr);

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== KEEP_RUNNING) process.exitCode = code;
  },
  (err: unknown) => {
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
  },
);
