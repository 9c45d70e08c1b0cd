// Flag values the CLI checks itself, against a server that records what it receives: deploy's
// --runtime (or the file extension) reaches the deploy body, and a whole-number flag given
// anything else (`abc`, `1.5`, `-3`, `0`) is a usage error naming the flag, before any request.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandUsage } from '../../src/cli/usage.js';
import { runCli } from '../support/process.js';

interface Received {
  method: string;
  url: string;
  body: Record<string, unknown>;
}

const work = mkdtempSync(join(tmpdir(), 'airlock-cli-flags-'));
const received: Received[] = [];
// Answers every deploy as a new version, and anything else with an empty list.
const server = createServer((req, res) => {
  let text = '';
  req.on('data', (chunk: Buffer) => (text += chunk.toString()));
  req.on('end', () => {
    received.push({ method: req.method!, url: req.url!, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.method === 'PUT' ? { version: 'v1', created: true } : { executions: [], jobs: [], runs: [] }));
  });
});
const env = { AIRLOCK_URL: '', AIRLOCK_KEY: 'ak_unused' };
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  env.AIRLOCK_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

/** Writes a function module named `file` and deploys it with `flags`; returns the body the server got. */
async function deployBody(file: string, flags: string[] = []): Promise<Record<string, unknown>> {
  const path = join(work, file);
  writeFileSync(path, 'export default async () => 1;\n');
  received.length = 0;
  const r = await runCli(['deploy', path, '--tenant', 'acme', ...flags], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(received.length, 1);
  return received[0]!.body;
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
    received.length = 0;
    const r = await runCli(['deploy', join(work, 'fn.py'), '--tenant', 'acme', '--runtime', 'python'], env);
    assert.deepEqual(r, { code: 2, stdout: '', stderr: `--runtime must be javascript or typescript, got "python"\n\n${commandUsage('deploy')}` });
    assert.equal(received.length, 0);
  });
});

describe('whole-number flags', () => {
  it('deploy sends --timeout-ms and --memory-mib as numbers in limits', async () => {
    assert.deepEqual((await deployBody('limited.ts', ['--timeout-ms', '500', '--memory-mib', '64'])).limits, { timeoutMs: 500, memoryMiB: 64 });
    assert.deepEqual((await deployBody('timed.ts', ['--timeout-ms', '500'])).limits, { timeoutMs: 500 });
  });

  it('executions --limit reaches the query string', async () => {
    received.length = 0;
    const r = await runCli(['executions', 'acme', '--limit', '7'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(received[0]?.url, '/v1/tenants/acme/executions?limit=7');
  });

  const source = join(work, 'fn.ts');
  writeFileSync(source, 'export default async () => 1;\n');
  const flags: { command: string[]; flag: string }[] = [
    { command: ['deploy', source, '--tenant', 'acme'], flag: '--timeout-ms' },
    { command: ['deploy', source, '--tenant', 'acme'], flag: '--memory-mib' },
    { command: ['jobs', 'submit', 'acme/fn'], flag: '--max-run-ms' },
    { command: ['jobs', 'submit', 'acme/fn'], flag: '--max-attempts' },
    { command: ['jobs', 'list', 'acme'], flag: '--limit' },
    { command: ['executions', 'acme'], flag: '--limit' },
    { command: ['schedules', 'set', 'acme/nightly', '--function', 'fn'], flag: '--every' },
    { command: ['schedules', 'runs', 'acme', 'nightly'], flag: '--limit' },
  ];
  for (const { command, flag } of flags) {
    for (const value of ['abc', '1.5', '-3', '0', '']) {
      it(`airlock ${command[0]} ${command[1]?.startsWith(work) ? '<file>' : command[1]} ${flag}=${value}: usage error`, async () => {
        received.length = 0;
        const r = await runCli([...command, `${flag}=${value}`], env);
        assert.deepEqual(r, { code: 2, stdout: '', stderr: `${flag} must be a whole number >= 1, got ${JSON.stringify(value)}\n` });
        assert.equal(received.length, 0, 'no request was sent');
      });
    }
  }

  it('server --port must be a whole number from 0 to 65535, checked before the server starts', async () => {
    for (const value of ['abc', '80.5', '65536']) {
      const dataDir = join(work, 'data');
      const r = await runCli(['server', '--port', value, '--data-dir', dataDir], {});
      assert.deepEqual(r, { code: 2, stdout: '', stderr: `--port must be a whole number from 0 to 65535, got ${JSON.stringify(value)}\n` });
      assert.equal(existsSync(dataDir), false);
    }
  });
});
