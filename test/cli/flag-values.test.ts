// Flag values the CLI checks itself, against a server that records what it receives: deploy's
// --runtime (or the file extension) reaches the deploy body, and a whole-number flag given
// anything else (`abc`, `1.5`, `-3`, `0`) is a usage error naming the flag, before any request.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandUsage } from '../../src/cli/usage.js';
import type { CommandName } from '../../src/cli/usage.js';
import { cliRig } from '../support/cli-rig.js';
import type { RecordedRequest } from '../support/cli-rig.js';
import { runCli } from '../support/process.js';

// Answers every deploy as a new version, a job submission with its id, and anything else with an empty list.
const { work, env, requests } = cliRig('flags', (req) => ({
  status: 200,
  json: req.method === 'PUT' ? { version: 'v1', created: true } : req.method === 'POST' ? { jobId: 'qi_1', created: true } : { executions: [], jobs: [], runs: [] },
}));

/** The JSON body of a recorded request ({} when it had none). */
function bodyOf(req: RecordedRequest): Record<string, unknown> {
  return req.body === '' ? {} : (JSON.parse(req.body) as Record<string, unknown>);
}

/** Writes a function module named `file` and deploys it with `flags`; returns the body the server got. */
async function deployBody(file: string, flags: string[] = []): Promise<Record<string, unknown>> {
  const path = join(work, file);
  writeFileSync(path, 'export default async () => 1;\n');
  requests.length = 0;
  const r = await runCli(['deploy', path, '--tenant', 'acme', ...flags], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(requests.length, 1);
  return bodyOf(requests[0]!);
}

describe('airlock deploy --runtime', () => {
  const byExtension: [string, string][] = [
    ['hello.ts', 'typescript'],
    ['hello.mts', 'typescript'],
    ['hello.cts', 'typescript'],
    ['hello.js', 'javascript'],
    ['hello.mjs', 'javascript'],
    ['hello.cjs', 'javascript'],
    ['hello', 'javascript'],
  ];
  for (const [file, runtime] of byExtension) {
    it(`without --runtime, ${file} is deployed as ${runtime}`, async () => {
      assert.equal((await deployBody(file)).runtime, runtime);
    });
  }

  it('--runtime overrides the extension', async () => {
    assert.equal((await deployBody('typed.js', ['--runtime', 'typescript'])).runtime, 'typescript');
    assert.equal((await deployBody('plain.ts', ['--runtime', 'javascript'])).runtime, 'javascript');
  });

  it('any other --runtime is a usage error, before any request', async () => {
    writeFileSync(join(work, 'fn.py'), 'print(1)\n');
    requests.length = 0;
    const r = await runCli(['deploy', join(work, 'fn.py'), '--tenant', 'acme', '--runtime', 'python'], env);
    assert.deepEqual(r, { code: 2, stdout: '', stderr: `--runtime must be javascript or typescript, got "python"\n\n${commandUsage('deploy')}` });
    assert.equal(requests.length, 0);
  });
});

describe('whole-number flags', () => {
  it('deploy sends --timeout-ms and --memory-mib as numbers in limits', async () => {
    assert.deepEqual((await deployBody('limited.ts', ['--timeout-ms', '500', '--memory-mib', '64'])).limits, { timeoutMs: 500, memoryMiB: 64 });
    assert.deepEqual((await deployBody('timed.ts', ['--timeout-ms', '500'])).limits, { timeoutMs: 500 });
  });

  it('deploy sends --input-bytes, --result-bytes and --log-bytes (0 included) in limits', async () => {
    assert.deepEqual(
      (await deployBody('sized.ts', ['--input-bytes', '1000', '--result-bytes', '2048', '--log-bytes', '0'])).limits,
      { inputBytes: 1000, resultBytes: 2048, logBytes: 0 },
    );
    requests.length = 0;
    const r = await runCli(['deploy', join(work, 'sized.ts'), '--tenant', 'acme', '--log-bytes=-3'], env);
    assert.deepEqual(r, { code: 2, stdout: '', stderr: '--log-bytes must be a whole number >= 0, got "-3"\n' });
    assert.equal(requests.length, 0);
  });

  it('jobs submit sends --deadline-ms as deadlineMs', async () => {
    requests.length = 0;
    const r = await runCli(['jobs', 'submit', 'acme/fn', '--deadline-ms', '60000'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(bodyOf(requests[0]!).deadlineMs, 60000);
  });

  it('a --limit above the API\'s page size (500) is a usage error, before any request', async () => {
    for (const command of [['executions', 'acme'], ['jobs', 'list', 'acme'], ['schedules', 'runs', 'acme', 'nightly']]) {
      requests.length = 0;
      const r = await runCli([...command, '--limit', '600'], env);
      assert.equal(r.code, 2, command.join(' '));
      assert.match(r.stderr, /^--limit must be a whole number from 1 to 500, got "600" \(too large\)\n/);
      assert.equal(requests.length, 0);
    }
  });

  it('executions --limit reaches the query string', async () => {
    requests.length = 0;
    const r = await runCli(['executions', 'acme', '--limit', '7'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(requests[0]?.url, '/v1/tenants/acme/executions?limit=7');
  });

  const source = join(work, 'fn.ts');
  writeFileSync(source, 'export default async () => 1;\n');
  const flags: { command: string[]; flag: string; min?: number }[] = [
    { command: ['deploy', source, '--tenant', 'acme'], flag: '--timeout-ms', min: 10 },
    { command: ['deploy', source, '--tenant', 'acme'], flag: '--memory-mib', min: 16 },
    { command: ['jobs', 'submit', 'acme/fn'], flag: '--max-run-ms' },
    { command: ['jobs', 'submit', 'acme/fn'], flag: '--max-attempts' },
    { command: ['jobs', 'submit', 'acme/fn'], flag: '--deadline-ms' },
    { command: ['deploy', source, '--tenant', 'acme'], flag: '--input-bytes', min: 2 },
    { command: ['deploy', source, '--tenant', 'acme'], flag: '--result-bytes', min: 16 },
    { command: ['jobs', 'list', 'acme'], flag: '--limit' },
    { command: ['executions', 'acme'], flag: '--limit' },
    { command: ['schedules', 'set', 'acme/nightly', '--function', 'fn'], flag: '--every' },
    { command: ['schedules', 'runs', 'acme', 'nightly'], flag: '--limit' },
  ];
  for (const { command, flag, min = 1 } of flags) {
    // Below the server's minimum is refused here too, naming the flag (not the API's field).
    const belowMin = min > 1 ? [String(min - 1)] : [];
    for (const value of ['abc', '1.5', '-3', '0', '', ...belowMin]) {
      it(`airlock ${command[0]} ${command[1]?.startsWith(work) ? '<file>' : command[1]} ${flag}=${value}: usage error`, async () => {
        requests.length = 0;
        const r = await runCli([...command, `${flag}=${value}`], env);
        const range = flag === '--limit' ? 'from 1 to 500' : `>= ${min}`;
        assert.deepEqual(r, { code: 2, stdout: '', stderr: `${flag} must be a whole number ${range}, got ${JSON.stringify(value)}\n` });
        assert.equal(requests.length, 0, 'no request was sent');
      });
    }
  }

  it('server --port must be a whole number from 0 to 65535, checked before the server starts', async () => {
    for (const value of ['abc', '80.5', '65536']) {
      const dataDir = join(work, 'data');
      const r = await runCli(['server', '--port', value, '--data-dir', dataDir], {});
      const tooLarge = value === '65536' ? ' (too large)' : '';
      assert.deepEqual(r, { code: 2, stdout: '', stderr: `--port must be a whole number from 0 to 65535, got ${JSON.stringify(value)}${tooLarge}\n` });
      assert.equal(existsSync(dataDir), false);
    }
  });

  it('a whole number too large to hold says so', async () => {
    requests.length = 0;
    const r = await runCli(['jobs', 'submit', 'acme/fn', '--max-attempts', '99999999999999999999'], env);
    assert.deepEqual(r, { code: 2, stdout: '', stderr: '--max-attempts must be a whole number >= 1, got "99999999999999999999" (too large)\n' });
    assert.equal(requests.length, 0);
  });
});

describe('command lines the argument parser refuses', () => {
  const source = join(work, 'fn.ts');
  writeFileSync(source, 'export default async () => 1;\n');
  const cases: { args: string[]; command: CommandName; problem: string }[] = [
    { args: ['deploy', source, '--tenant', 'acme', '--bogus'], command: 'deploy', problem: 'unknown option --bogus' },
    { args: ['invoke', 'acme/fn', '-x'], command: 'invoke', problem: 'unknown option -x' },
    { args: ['executions', 'acme', '--jsn'], command: 'executions', problem: 'unknown option --jsn; did you mean --json?' },
    { args: ['schedules', 'set', 'acme/nightly', '--function', 'f', '--every-seconds', '60'], command: 'schedules', problem: 'unknown option --every-seconds; did you mean --every?' },
    { args: ['deploy', source, '--tennant', 'acme'], command: 'deploy', problem: 'unknown option --tennant; did you mean --tenant?' },
    { args: ['deploy', source, '--tenant', 'acme', '--timeout-ms'], command: 'deploy', problem: '--timeout-ms needs a value' },
    { args: ['invoke', 'acme/fn', '--input'], command: 'invoke', problem: '--input needs a value' },
    { args: ['deploy', source, '--tenant', 'acme', '--timeout-ms', '-3'], command: 'deploy', problem: '--timeout-ms needs a value (one that starts with "-" is written --timeout-ms=-…)' },
    { args: ['executions', 'acme', '--json=yes'], command: 'executions', problem: '--json takes no value' },
    { args: ['deploy', source, '--tenant', 'edge', '--tenant', 'acme'], command: 'deploy', problem: '--tenant is given more than once; give it once' },
    { args: ['deploy', source, '-t', 'edge', '--tenant', 'acme'], command: 'deploy', problem: '--tenant is given more than once (as -t and --tenant); give it once' },
    { args: ['invoke', 'acme/fn', '--input', '1', '--input=2'], command: 'invoke', problem: '--input is given more than once; give it once' },
    { args: ['executions', 'acme', '--status', 'failed', '--status', 'timeout'], command: 'executions', problem: '--status is given more than once; give it once' },
  ];
  for (const { args, command, problem } of cases) {
    it(`airlock ${args.filter((a) => a !== source).join(' ')}: ${problem}, then the usage`, async () => {
      requests.length = 0;
      const r = await runCli(args, env);
      assert.deepEqual(r, { code: 2, stdout: '', stderr: `${problem}\n\n${commandUsage(command)}` });
      assert.equal(requests.length, 0, 'no request was sent');
    });
  }

  it('a file name that makes no function name asks for --name', async () => {
    const odd = join(work, '___.ts');
    writeFileSync(odd, 'export default async () => 1;\n');
    requests.length = 0;
    const r = await runCli(['deploy', odd, '--tenant', 'acme'], env);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.split('\n')[0], `no function name can be made from the file name ${JSON.stringify(odd)}: give one with --name`);
    assert.equal(requests.length, 0);
  });
});
