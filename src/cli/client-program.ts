// The CLI's client commands: they talk to a running server over HTTP (AIRLOCK_URL, AIRLOCK_KEY),
// except `types`, which prints the function author's declarations.
// `npm run build` bundles this program with its dependencies into one file
// (client-program.bundle.js): Node then reads one module instead of ~270 (most of them the schema
// library's), which on a slow machine took a second per command. main.ts imports it; run as the
// entry point itself (the bundle copied alone, e.g. `node airlock.mjs invoke …`), it runs the
// command its own arguments name, so a tenant developer needs no checkout of the server.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createClient } from './client.js';
import { deployCommand } from './commands/deploy.js';
import { executionsCommand } from './commands/executions.js';
import { functionsCommand } from './commands/functions.js';
import { hooksCommand } from './commands/hooks.js';
import { invokeCommand } from './commands/invoke.js';
import { jobsCommand } from './commands/jobs.js';
import { keysCommand } from './commands/keys.js';
import { schedulesCommand } from './commands/schedules.js';
import { secretsCommand } from './commands/secrets.js';
import { tenantsCommand } from './commands/tenants.js';
import { typesCommand } from './commands/types.js';
import { runProgram, zeroWhenDone } from './program.js';
import type { Command } from './program.js';
import type { CommandName } from './usage.js';

const CLIENT_COMMANDS: Partial<Record<CommandName, Command>> = {
  deploy: (args) => zeroWhenDone(deployCommand(args, createClient())),
  functions: (args) => zeroWhenDone(functionsCommand(args, createClient())),
  invoke: (args) => invokeCommand(args, createClient()),
  executions: (args) => zeroWhenDone(executionsCommand(args, createClient())),
  jobs: (args) => zeroWhenDone(jobsCommand(args, createClient())),
  schedules: (args) => zeroWhenDone(schedulesCommand(args, createClient())),
  hooks: (args) => zeroWhenDone(hooksCommand(args, createClient())),
  keys: (args) => zeroWhenDone(keysCommand(args, createClient())),
  secrets: (args) => zeroWhenDone(secretsCommand(args, createClient())),
  tenants: (args) => zeroWhenDone(tenantsCommand(args, createClient())),
  types: (args) => typesCommand(args),
};

/** Runs a client command, or help. */
export function runClientProgram(argv: string[]): Promise<void> {
  return runProgram(CLIENT_COMMANDS, argv);
}

/** Whether Node was started with this module's file (not main.ts, which imports it). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntryPoint()) await runClientProgram(process.argv.slice(2));
