// The `airlock` bin as npm links it: executable, with a node shebang, answering --help.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { it } from 'node:test';
import { CLI } from '../support/process.js';

it('builds the airlock bin as an executable node script that prints its usage', () => {
  assert.ok((statSync(CLI).mode & 0o111) !== 0, `${CLI} is executable (npx airlock runs it directly)`);
  assert.match(readFileSync(CLI, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  const help = execFileSync(CLI, ['--help'], { encoding: 'utf8' });
  assert.match(help, /airlock deploy <file> --tenant T/);
});
