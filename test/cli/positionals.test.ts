// Positional arguments a command does not take, or misses, are usage errors (exit 2) that name
// the argument and show the command's usage, before any request: nothing is silently ignored.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { commandUsage } from '../../src/cli/usage.js';
import type { CommandName } from '../../src/cli/usage.js';
import { cliRig } from '../support/cli-rig.js';
import { runCli } from '../support/process.js';

// A stand-in server that records requests: the refusals must come before any request.
const { work, env, requests } = cliRig('positionals');

/** What the CLI prints for a usage error of `command`. */
const usageError = (command: CommandName, problem: string): string => `${problem}\n\n${commandUsage(command).trimEnd()}\n`;

describe('CLI positional arguments', () => {
  const extra: string[][] = [
    ['invoke', 'acme/hello', 'extra'],
    ['deploy', join(work, 'hello.ts'), 'extra', '--tenant', 'acme'],
    ['executions', 'acme', 'ex_1', 'extra'],
    ['jobs', 'submit', 'acme/hello', 'extra'],
    ['jobs', 'get', 'acme', 'qi_1', 'extra'],
    ['jobs', 'list', 'acme', 'extra'],
    ['jobs', 'cancel', 'acme', 'qi_1', 'extra'],
    ['schedules', 'set', 'acme/nightly', 'extra', '--function', 'hello', '--every', '60'],
    ['schedules', 'get', 'acme', 'nightly', 'extra'],
    ['schedules', 'list', 'acme', 'extra'],
    ['schedules', 'runs', 'acme', 'nightly', 'extra'],
    ['schedules', 'delete', 'acme', 'nightly', 'extra'],
    ['hooks', 'show', 'acme/hello', 'extra'],
    ['hooks', 'rotate', 'acme/hello', 'extra'],
    ['keys', 'create', 'acme', 'extra'],
    ['keys', 'list', 'acme', 'extra'],
    ['keys', 'revoke', 'acme', 'key_1', 'extra'],
    ['secrets', 'set', 'acme', 'token', 'extra', '--hosts', 'api.example.com', '--value-file', join(work, 'value')],
    ['secrets', 'list', 'acme', 'extra'],
    ['secrets', 'delete', 'acme', 'token', 'extra'],
    ['doctor', 'extra'],
    ['types', 'extra'],
  ];
  for (const args of extra) {
    it(`airlock ${args.filter((a) => !a.startsWith(work)).join(' ')}: unexpected argument`, async () => {
      const r = await runCli(args, env);
      assert.deepEqual(r, { code: 2, stdout: '', stderr: usageError(args[0] as CommandName, 'unexpected argument "extra"') });
      assert.equal(requests.length, 0, 'no request was sent');
    });
  }

  it('airlock server extra: refused before the server starts (no data dir created)', async () => {
    const dataDir = join(work, 'data');
    const r = await runCli(['server', 'extra', '--port', '0', '--data-dir', dataDir], {});
    assert.deepEqual(r, { code: 2, stdout: '', stderr: usageError('server', 'unexpected argument "extra"') });
    assert.equal(existsSync(dataDir), false);
  });

  const missing: { args: string[]; problem: string }[] = [
    { args: ['jobs', 'get', 'acme'], problem: 'missing <id>' },
    { args: ['keys', 'revoke', 'acme'], problem: 'missing <id>' },
    { args: ['secrets', 'delete', 'acme'], problem: 'missing <name>' },
    { args: ['executions'], problem: 'missing <tenant>' },
    { args: ['deploy', '--tenant', 'acme'], problem: 'missing <file>' },
    { args: ['keys', 'rename', 'acme'], problem: 'unknown sub-command "keys rename"' },
    { args: ['jobs', 'retyr', 'acme', 'j1'], problem: 'unknown sub-command "jobs retyr"; did you mean "jobs retry"?' },
    { args: ['schedules', 'lisst', 'acme'], problem: 'unknown sub-command "schedules lisst"; did you mean "schedules list"?' },
    { args: ['secrets', 'Delete', 'acme', 'TOKEN'], problem: 'unknown sub-command "secrets Delete"; did you mean "secrets delete"?' },
    { args: ['jobs'], problem: 'airlock jobs needs a sub-command' },
    // Options of another sub-command of the same command are refused, not dropped.
    { args: ['jobs', 'get', 'acme', 'j1', '--input', '{}'], problem: '--input does not apply to jobs get, which takes no options' },
    { args: ['jobs', 'list', 'acme', '--max-attempts', '3'], problem: '--max-attempts does not apply to jobs list, which takes --function, --status, --limit, --before, --idempotency-key, --json' },
    { args: ['schedules', 'list', 'acme', '--limit', '3'], problem: '--limit does not apply to schedules list, which takes --json' },
    { args: ['schedules', 'runs', 'acme', 'nightly', '--cron', '* * * * *'], problem: '--cron does not apply to schedules runs, which takes --limit, --before, --json' },
    { args: ['secrets', 'list', 'acme', '--hosts', 'api.example.com'], problem: '--hosts does not apply to secrets list, which takes --json' },
  ];
  for (const { args, problem } of missing) {
    it(`airlock ${args.join(' ')}: ${problem}`, async () => {
      const r = await runCli(args, env);
      assert.deepEqual(r, { code: 2, stdout: '', stderr: usageError(args[0] as CommandName, problem) });
      assert.equal(requests.length, 0, 'no request was sent');
    });
  }
});
