// The client commands start without loading the server's stack: `server` and `doctor` import it
// (Fastify, SQLite, the TypeScript stripper) only when they run. Checked through the CommonJS
// module cache those packages land in, read when the CLI process exits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cliRig } from '../support/cli-rig.js';
import { CLI } from '../support/process.js';

// A stand-in server for the client command's request (it answers 500).
const { env } = cliRig('startup');

/** Preloaded into the CLI process: on exit, prints how many files of the server's packages it loaded. */
const COUNT_SERVER_MODULES =
  'data:text/javascript,import{createRequire}from"node:module";const r=createRequire("/");' +
  'process.on("exit",()=>{process.stderr.write("server modules: "+Object.keys(r.cache).filter(' +
  '(k)=>/node_modules\\/(fastify|better-sqlite3|amaro)\\//.test(k)).length+"\\n")})';

/** Runs the CLI with `args` (the stand-in server answers its requests) and counts the server files it loaded. */
async function serverModulesLoadedBy(args: string[]): Promise<number> {
  const stderr = await new Promise<string>((resolve) => {
    execFile(process.execPath, ['--import', COUNT_SERVER_MODULES, CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (_err, _stdout, err) =>
      resolve(err),
    );
  });
  const match = /server modules: (\d+)/.exec(stderr);
  if (match === null) assert.fail(`the CLI did not report its modules; stderr: ${stderr}`);
  return Number(match[1]);
}

describe('CLI start-up', () => {
  it('help and the client commands load none of the server packages', async () => {
    assert.equal(await serverModulesLoadedBy(['--help']), 0);
    assert.equal(await serverModulesLoadedBy(['jobs', 'list', 'acme']), 0, 'a client command');
  });

  it('control: the server command does load them', async () => {
    assert.ok((await serverModulesLoadedBy(['server', '--port', 'nope'])) > 0, 'a refused server start still imported the server stack');
  });
});
