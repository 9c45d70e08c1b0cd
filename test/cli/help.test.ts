// `airlock <command> --help` (or -h, anywhere before `--`) prints that command's usage, the same
// lines `airlock --help` shows, and exits 0 without sending a request or starting a server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { commandUsage } from '../../src/cli/usage.js';
import type { CommandName } from '../../src/cli/usage.js';
import { cliRig } from '../support/cli-rig.js';
import { runCli } from '../support/process.js';

const COMMANDS: CommandName[] = ['server', 'doctor', 'deploy', 'functions', 'invoke', 'executions', 'jobs', 'schedules', 'hooks', 'keys', 'secrets', 'types'];

// A stand-in server that records requests: asking for help must send none.
const { work, env, requests } = cliRig('help');

describe('airlock <command> --help', () => {
  for (const command of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      it(`airlock ${command} ${flag} prints the ${command} usage and exits 0`, async () => {
        const r = await runCli([command, flag], env);
        assert.deepEqual(r, { code: 0, stdout: commandUsage(command), stderr: '' });
        assert.equal(requests.length, 0, 'no request was sent');
      });
    }
  }

  it('airlock help help (and help --help) print the full help, as airlock help does', async () => {
    const full = await runCli(['help'], env);
    assert.equal(full.code, 0);
    for (const args of [['help', 'help'], ['help', '--help'], ['help', '-h']]) {
      assert.deepEqual(await runCli(args, env), full, args.join(' '));
    }
  });

  it('each command usage is the part of airlock --help for that command', async () => {
    const r = await runCli(['--help'], env);
    assert.equal(r.code, 0);
    for (const command of COMMANDS) {
      const lines = commandUsage(command).replace(/^usage:\n/, '');
      assert.ok(r.stdout.includes(lines), `airlock --help shows:\n${lines}`);
    }
  });

  it('--help after a sub-command and its arguments, and airlock help <command>, print the same usage', async () => {
    const cases: { args: string[]; usageOf: CommandName }[] = [
      { args: ['jobs', 'submit', 'acme/hello', '--input', '{}', '--help'], usageOf: 'jobs' },
      { args: ['schedules', 'list', '-h'], usageOf: 'schedules' },
      { args: ['help', 'deploy'], usageOf: 'deploy' },
    ];
    for (const { args, usageOf } of cases) {
      const r = await runCli(args, env);
      assert.deepEqual(r, { code: 0, stdout: commandUsage(usageOf), stderr: '' }, args.join(' '));
    }
    assert.equal(requests.length, 0, 'no request was sent');
  });

  it('server --help starts no server: the data dir it would create does not exist', async () => {
    const dataDir = join(work, 'data');
    const r = await runCli(['server', '--port', '0', '--data-dir', dataDir, '--help'], {});
    assert.deepEqual(r, { code: 0, stdout: commandUsage('server'), stderr: '' });
    assert.equal(existsSync(dataDir), false);
  });

  it('help needs no valid AIRLOCK_URL: it is read only to send a request', async () => {
    const r = await runCli(['invoke', '--help'], { AIRLOCK_URL: '127.0.0.1:8080' });
    assert.deepEqual(r, { code: 0, stdout: commandUsage('invoke'), stderr: '' });
  });

  it('an unknown command is still a usage error', async () => {
    const r = await runCli(['deplyo', '--help'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^unknown command "deplyo"; did you mean "deploy"\?\n/);
  });
});
