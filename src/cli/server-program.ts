// The CLI's commands that run on the server's machine with the server's whole stack (Fastify,
// SQLite, the sandbox layers): `server` and `doctor`. Not bundled: the server finds its runtime
// files, migrations and native modules relative to its own modules.
import { serverCommand } from './commands/server.js';
import { doctorCommand } from './commands/doctor.js';
import { KEEP_RUNNING, runProgram } from './program.js';
import type { Command } from './program.js';
import type { CommandName } from './usage.js';

const SERVER_COMMANDS: Partial<Record<CommandName, Command>> = {
  server: async (args) => {
    await serverCommand(args);
    return KEEP_RUNNING;
  },
  doctor: (args) => doctorCommand(args),
};

/** Runs `server` or `doctor`. */
export function runServerProgram(argv: string[]): Promise<void> {
  return runProgram(SERVER_COMMANDS, argv);
}
