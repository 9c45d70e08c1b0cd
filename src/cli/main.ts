#!/usr/bin/env node
// The `airlock` command: `server` runs the platform; the other commands talk to a running server
// over HTTP (AIRLOCK_URL, AIRLOCK_KEY).
import { isAirlockError } from '../core/errors.js';
import { UsageError } from './args.js';
import { ApiError, createClient } from './client.js';
import { deployCommand } from './commands/deploy.js';
import { doctorCommand } from './commands/doctor.js';
import { executionsCommand } from './commands/executions.js';
import { hooksCommand } from './commands/hooks.js';
import { invokeCommand } from './commands/invoke.js';
import { jobsCommand } from './commands/jobs.js';
import { keysCommand } from './commands/keys.js';
import { schedulesCommand } from './commands/schedules.js';
import { secretsCommand } from './commands/secrets.js';
import { serverCommand } from './commands/server.js';

const HELP = `airlock: run untrusted tenant functions in sandboxes

usage:
  airlock server [--port N] [--host H] [--data-dir DIR] [--isolation bwrap|process]
  airlock doctor [--json]           check each isolation layer on this machine (no server needed)
  airlock deploy <file> --tenant T [--name N] [--timeout-ms MS] [--memory-mib MIB] [--isolation tenant|function|execution] [--egress @policy.json]
  airlock invoke <tenant>/<name> [--input JSON|@file] [--version V]
  airlock jobs submit <tenant>/<name> [--input JSON|@file] [--idempotency-key K] [--max-run-ms MS] [--max-attempts N]
  airlock jobs get|cancel <tenant> <id> | jobs list <tenant> [--function F] [--status S] [--json]
  airlock schedules set <tenant>/<schedule> --function F (--cron EXPR | --every SECONDS) [--input JSON|@file] [--timezone TZ] [--overlap skip|allow]
  airlock schedules get|delete|runs <tenant> <schedule> | schedules list <tenant> [--json]
  airlock hooks show|rotate <tenant>/<name> [--json]   webhook URL of a function (rotate: new token)
  airlock executions <tenant> [id] [--function F] [--status S] [--limit N] [--json]
  airlock keys create|list|revoke <tenant> [id]
  airlock secrets set <tenant> <name> --hosts H[,H...] [--value-file F]   (value on stdin otherwise)
  airlock secrets list <tenant> | secrets delete <tenant> <name>

environment: AIRLOCK_URL (default http://127.0.0.1:8080), AIRLOCK_KEY (default: ./.airlock/admin.key);
server settings: see docs/configuration.md
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'server':
      await serverCommand(rest);
      return -1; // keeps running until a signal
    case 'doctor':
      return doctorCommand(rest);
    case 'deploy':
      await deployCommand(rest, createClient());
      return 0;
    case 'invoke':
      return invokeCommand(rest, createClient());
    case 'executions':
      await executionsCommand(rest, createClient());
      return 0;
    case 'jobs':
      await jobsCommand(rest, createClient());
      return 0;
    case 'schedules':
      await schedulesCommand(rest, createClient());
      return 0;
    case 'hooks':
      await hooksCommand(rest, createClient());
      return 0;
    case 'keys':
      await keysCommand(rest, createClient());
      return 0;
    case 'secrets':
      await secretsCommand(rest, createClient());
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"\n\n${HELP}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof ApiError) {
      process.stderr.write(`error ${err.code}: ${err.message}\n`);
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
