// The `airlock` bin as npm links it: executable, with a node shebang, answering --help; and the
// package npm packs from this checkout.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { it } from 'node:test';
import { CLI } from '../support/process.js';

it('builds the airlock bin as an executable node script that prints its usage', () => {
  assert.ok((statSync(CLI).mode & 0o111) !== 0, `${CLI} is executable (npx airlock runs it directly)`);
  assert.match(readFileSync(CLI, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  const help = execFileSync(CLI, ['--help'], { encoding: 'utf8' });
  assert.match(help, /airlock deploy <file> --tenant T/);
});

it('packs what an installed airlock runs: the built program, the harness and the types, not the tests or sources', () => {
  // What `npm pack` (and so `npm install -g <tarball or git url>`) puts in the package. Without a
  // `files` list npm falls back to .gitignore, which leaves out dist/: the installed bin is missing.
  const checkout = dirname(dirname(dirname(dirname(CLI)))); // <checkout>/dist/src/cli/main.js
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: checkout, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const files = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  for (const needed of [
    'dist/src/cli/main.js',
    'dist/src/cli/client-program.bundle.js',
    'dist/src/runtime/harness.cjs',
    'dist/src/runtime/parse-check.cjs',
    'dist/src/runtime/fetch-client.mjs',
    'dist/src/runtime/checkpoint-client.mjs',
    'types/airlock.d.ts',
    'README.md',
    'package.json',
  ]) {
    assert.ok(files.has(needed), `${needed} is in the package`);
  }
  const stray = [...files].filter((f) => /^(src|test|bench|dist\/test|dist\/bench)\//.test(f) || f.endsWith('.map'));
  assert.deepEqual(stray, [], 'no sources, tests, benchmarks or source maps in the package');
});
