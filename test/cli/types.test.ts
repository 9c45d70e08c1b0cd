// `airlock types` prints types/airlock.d.ts byte for byte, needs no server (sends nothing), and
// takes no arguments. The client bundle carries the file: copied alone into an empty directory
// (as a tenant developer gets the CLI), it prints the same declarations, and deploys and invokes
// a function that imports its ctx type from the printed file, against a real server; asked for
// `server` or `doctor`, which it does not have, it says so and where they run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { typesDeclarations } from '../../src/cli/commands/types.js';
import { commandUsage } from '../../src/cli/usage.js';
import { cliRig } from '../support/cli-rig.js';
import { TYPES_FILE } from '../support/declarations.js';
import { runCli } from '../support/process.js';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const BUNDLE = fileURLToPath(new URL('../../src/cli/client-program.bundle.js', import.meta.url));

// A stand-in server that records requests: printing the types must send none.
const { env, requests } = cliRig('types');

/** Runs `node airlock.mjs …` in `cwd` with only PATH plus `extra` set. */
function runAlone(cwd: string, args: string[], extra: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['airlock.mjs', ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...extra }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const HELLO = `import type { Context } from './airlock.js';

export default async function (input: { name: string }, ctx: Context) {
  ctx.log.info('greeting', input.name);
  return { hello: input.name, tenant: ctx.tenant };
}
`;

describe('airlock types', () => {
  const declarations = readFileSync(TYPES_FILE, 'utf8');

  it('prints types/airlock.d.ts as it is, and sends no request', async () => {
    const r = await runCli(['types'], env);
    assert.deepEqual(r, { code: 0, stdout: declarations, stderr: '' });
    assert.equal(requests.length, 0);
  });

  it('reads the same file from the package when it runs unbundled', () => {
    assert.equal(typesDeclarations(), declarations);
  });

  it('takes no arguments: an extra one is a usage error', async () => {
    const r = await runCli(['types', 'Context'], env);
    assert.deepEqual(r, { code: 2, stdout: '', stderr: `unexpected argument "Context"\n\n${commandUsage('types')}` });
  });

  describe('from the client bundle copied alone', () => {
    let server: TestServer;
    let dir: string;
    before(async () => {
      server = await startTestServer();
      dir = mkdtempSync(join(tmpdir(), 'airlock-cli-alone-'));
      copyFileSync(BUNDLE, join(dir, 'airlock.mjs'));
    });
    after(async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('prints the declarations with nothing else of the package beside it', async () => {
      assert.deepEqual(readdirSync(dir), ['airlock.mjs']);
      const r = await runAlone(dir, ['types']);
      assert.deepEqual(r, { code: 0, stdout: declarations, stderr: '' });
    });

    it('deploys and invokes a function that imports Context from the printed file', async () => {
      writeFileSync(join(dir, 'airlock.d.ts'), (await runAlone(dir, ['types'])).stdout);
      writeFileSync(join(dir, 'hello.ts'), HELLO);
      const serverEnv = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
      const deployed = await runAlone(dir, ['deploy', 'hello.ts', '--tenant', 'acme'], serverEnv);
      assert.equal(deployed.code, 0, deployed.stderr);
      assert.match(deployed.stdout, /^deployed acme\/hello version [0-9a-f]{64}/);
      const invoked = await runAlone(dir, ['invoke', 'acme/hello', '--input', '{"name":"world"}'], serverEnv);
      assert.equal(invoked.code, 0, invoked.stderr);
      const execution = JSON.parse(invoked.stdout) as { status: string; result: unknown };
      assert.equal(execution.status, 'succeeded', invoked.stdout);
      assert.deepEqual(execution.result, { hello: 'world', tenant: 'acme' });
    });

    it('says that server and doctor are not in it and where they run, instead of calling them unknown', async () => {
      for (const command of ['server', 'doctor']) {
        const r = await runAlone(dir, [command]);
        assert.equal(r.code, 2);
        assert.equal(r.stdout, '');
        assert.doesNotMatch(r.stderr, /unknown command/);
        assert.match(r.stderr, new RegExp(`^"airlock ${command}" is not in this file, which has the client commands only .*: ${command} runs on the server's machine, .*Installing without a checkout`));
      }
    });
  });
});
