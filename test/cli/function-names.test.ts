// `airlock deploy <file>` without --name makes the function's name from the file name: lower
// case, accents folded (Héllo -> hello, not h-llo), any other character as '-'. Checked on its
// own and by what the CLI sends to a stand-in server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nameFromFile } from '../../src/cli/commands/deploy.js';
import { cliRig } from '../support/cli-rig.js';
import { runCli } from '../support/process.js';

const { work, env, requests } = cliRig('names', () => ({ status: 201, json: { version: 'v1', created: true, previousVersion: null } }));

describe('function names from file names', () => {
  const cases: [string, string][] = [
    ['hello-world.ts', 'hello-world'],
    ['Hello World.ts', 'hello-world'],
    ['Héllo Wörld.ts', 'hello-world'],
    ['/tmp/dir/Crème Brûlée.js', 'creme-brulee'],
    ['Ångström_façade.mjs', 'angstrom_facade'],
    // Compatibility forms fold too: a ligature and full-width letters.
    ['ﬁle.ts', 'file'],
    ['ｓｙｎｃ.ts', 'sync'],
    // Letters with no accent to drop stay other characters.
    ['straße.ts', 'stra-e'],
    ['日本.ts', ''],
  ];
  for (const [file, name] of cases) {
    it(`${file} -> ${JSON.stringify(name)}`, () => assert.equal(nameFromFile(file), name));
  }

  it('airlock deploy "Héllo Wörld.ts" deploys acme/hello-world', async () => {
    const file = join(work, 'Héllo Wörld.ts');
    writeFileSync(file, 'export default () => 1;');
    const r = await runCli(['deploy', file, '--tenant', 'acme'], env);
    assert.deepEqual(r, { code: 0, stdout: 'deployed acme/hello-world version v1\n', stderr: '' });
    assert.deepEqual(requests.map((q) => `${q.method} ${q.url}`), ['PUT /v1/tenants/acme/functions/hello-world']);
  });
});
