// A mistyped command gets "did you mean …?" when exactly one command is close to it (a typo, a
// missing plural, the start of a name), with the full help after it and exit 2 as before; no
// suggestion when nothing is close or two commands are.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fullHelp } from '../../src/cli/usage.js';
import { closestName } from '../../src/cli/suggest.js';
import { editDistance } from '../../src/core/suggest.js';
import { cliRig } from '../support/cli-rig.js';
import { runCli } from '../support/process.js';

const COMMANDS = ['server', 'doctor', 'deploy', 'functions', 'invoke', 'executions', 'jobs', 'schedules', 'hooks', 'keys', 'secrets'];

// A stand-in server that records requests: a mistyped command must send none.
const { env, requests } = cliRig('suggest');

describe('unknown command suggestions', () => {
  it('airlock job list acme suggests jobs, prints the help and exits 2 without a request', async () => {
    const r = await runCli(['job', 'list', 'acme'], env);
    assert.deepEqual(r, { code: 2, stdout: '', stderr: `unknown command "job"; did you mean "jobs"?\n\n${fullHelp()}` });
    assert.equal(requests.length, 0, 'no request was sent');
  });

  it('airlock help <typo> suggests the same way', async () => {
    const r = await runCli(['help', 'secret'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^unknown command "secret"; did you mean "secrets"\?\n\n/);
  });

  it('says nothing more when no command is close', async () => {
    const r = await runCli(['frobnicate'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^unknown command "frobnicate"\n\n/);
  });

  const close: [string, string][] = [
    ['job', 'jobs'],
    ['execution', 'executions'],
    ['exec', 'executions'],
    ['deplyo', 'deploy'],
    ['Deploy', 'deploy'],
    ['invok', 'invoke'],
    ['sever', 'server'],
    ['sched', 'schedules'],
    ['doc', 'doctor'],
    ['deployment', 'deploy'],
    ['hook', 'hooks'],
    ['function', 'functions'],
    ['func', 'functions'],
    ['key', 'keys'],
  ];
  for (const [typed, meant] of close) {
    it(`${typed} -> ${meant}`, () => assert.equal(closestName(typed, COMMANDS), meant));
  }

  it('suggests nothing for a word far from every command, or one close to two', () => {
    for (const typed of ['x', 'run', 'frobnicate', 'se', 's']) assert.equal(closestName(typed, COMMANDS), undefined, typed);
  });

  it('of several close names, the strictly nearest; a tie suggests nothing', () => {
    const jobs = ['submit', 'get', 'list', 'cancel', 'retry'];
    assert.equal(closestName('lst', jobs), 'list', 'one edit from list, two from get');
    assert.equal(closestName('gt', ['get', 'git']), undefined, 'one edit from each');
  });

  it('counts edits, a swap of neighbours as one', () => {
    assert.equal(editDistance('', ''), 0);
    assert.equal(editDistance('jobs', 'jobs'), 0);
    assert.equal(editDistance('job', 'jobs'), 1);
    assert.equal(editDistance('deplyo', 'deploy'), 1);
    assert.equal(editDistance('kitten', 'sitting', 1), 2, 'past the bound it answers bound + 1');
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'keys'), 4);
  });
});
