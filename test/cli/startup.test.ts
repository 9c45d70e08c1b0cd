// The client commands start light. `server` and `doctor` import the server's stack (Fastify,
// SQLite, the TypeScript stripper) only when they run; the other commands run from one bundled
// module instead of the ~270 module files they import (most of them the schema library's), which
// on a slow machine cost a second per command. Checked by a module loader hook preloaded into the
// CLI process, which lists every file module the process loads.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliRig } from '../support/cli-rig.js';
import { CLI } from '../support/process.js';

// A stand-in server for the client command's request (it answers 500).
const { env, work } = cliRig('startup');

/** Loader hooks (run in Node's hooks thread): append each file module's URL to $MODULE_LIST. */
const LIST_HOOKS =
  'data:text/javascript,import{appendFileSync}from"node:fs";' +
  'export async function load(url,context,next){if(url.startsWith("file:"))appendFileSync(process.env.MODULE_LIST,url+"\\n");return next(url,context)}';
/** Preloaded into the CLI process: registers LIST_HOOKS, and lists CommonJS modules (the server's native SQLite binding) at exit. */
const LIST_MODULES =
  `data:text/javascript,import{register,createRequire}from"node:module";import{appendFileSync}from"node:fs";` +
  `register(${JSON.stringify(LIST_HOOKS)});const r=createRequire("/");` +
  'process.on("exit",()=>{for(const k of Object.keys(r.cache))appendFileSync(process.env.MODULE_LIST,"file://"+k+"\\n")})';

let runs = 0;

/** Runs the CLI with `args` (the stand-in server answers its requests) and lists the module files it loaded. */
async function modulesLoadedBy(args: string[]): Promise<string[]> {
  const list = join(work, `modules-${++runs}.txt`);
  const stderr = await new Promise<string>((resolve) => {
    execFile(process.execPath, ['--import', LIST_MODULES, CLI, ...args], { env: { PATH: process.env.PATH ?? '', MODULE_LIST: list, ...env }, timeout: 30_000 }, (_err, _stdout, err) =>
      resolve(err),
    );
  });
  let text = '';
  try {
    text = readFileSync(list, 'utf8');
  } catch {
    assert.fail(`the CLI did not list its modules; stderr: ${stderr}`);
  }
  return [...new Set(text.split('\n').filter((line) => line !== ''))];
}

const serverPackages = (modules: string[]): string[] => modules.filter((m) => /node_modules\/(fastify|better-sqlite3|amaro)\//.test(m));

describe('CLI start-up', () => {
  it('help and the client commands load none of the server packages', async () => {
    assert.deepEqual(serverPackages(await modulesLoadedBy(['--help'])), []);
    assert.deepEqual(serverPackages(await modulesLoadedBy(['jobs', 'list', 'acme'])), [], 'a client command');
  });

  it('a client command loads two module files: the command picker and the bundled client program', async () => {
    const modules = await modulesLoadedBy(['jobs', 'list', 'acme']);
    assert.deepEqual(
      modules.map((m) => m.slice(m.lastIndexOf('/') + 1)),
      ['main.js', 'client-program.bundle.js'],
      `modules loaded:\n${modules.join('\n')}`,
    );
  });

  it('control: the server command does load the server packages', async () => {
    assert.ok(serverPackages(await modulesLoadedBy(['server', '--port', 'nope'])).length > 0, 'a refused server start still imported the server stack');
  });
});
