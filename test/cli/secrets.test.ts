// `airlock secrets` against a real server: the value goes in on stdin or from --value-file (one
// trailing newline dropped), never shows in the CLI's output, and list/delete work.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../support/process.js';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin!.end(input ?? '');
  });
}

const VALUE = 'cli-secret-value-4b8e';

describe('airlock secrets', () => {
  let server: TestServer;
  let work: string;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0' });
    work = mkdtempSync(join(tmpdir(), 'airlock-cli-secrets-'));
    env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
  });
  after(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('sets a secret from stdin, dropping one trailing newline, and prints no value', async () => {
    const res = await cli(['secrets', 'set', 'acme', 'stripe', '--hosts', 'api.stripe.com,*.stripe.com'], env, VALUE + '\n');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /saved secret acme\/stripe for api\.stripe\.com,\*\.stripe\.com/);
    assert.equal(res.stdout.includes(VALUE) || res.stderr.includes(VALUE), false);
    assert.deepEqual(await server.airlock.secrets.get('acme', 'stripe'), {
      name: 'stripe', hosts: ['api.stripe.com', '*.stripe.com'], value: VALUE,
    });
  });

  it('sets a secret from --value-file, keeping inner newlines', async () => {
    const file = join(work, 'pem');
    writeFileSync(file, 'line one\nline two\n', { mode: 0o600 });
    const res = await cli(['secrets', 'set', 'acme', 'pem', '--hosts', 'vault.example.com', '--value-file', file], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await server.airlock.secrets.get('acme', 'pem'))?.value, 'line one\nline two');
  });

  it('lists names and hosts, and deletes', async () => {
    const list = await cli(['secrets', 'list', 'acme'], env);
    assert.equal(list.code, 0, list.stderr);
    // A table: the columns line up whatever the lengths of names and host lists.
    assert.match(list.stdout, /^NAME {4}HOSTS {24}UPDATED\npem {5}vault\.example\.com {12}\S+\nstripe {2}api\.stripe\.com,\*\.stripe\.com {2}\S+\n$/);
    assert.equal(list.stdout.includes(VALUE), false);
    const json = await cli(['secrets', 'list', 'acme', '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const listed = JSON.parse(json.stdout) as { name: string; hosts: string[] }[];
    assert.deepEqual(listed.map((x) => [x.name, x.hosts]), [['pem', ['vault.example.com']], ['stripe', ['api.stripe.com', '*.stripe.com']]]);
    assert.equal(json.stdout.includes(VALUE), false);
    const del = await cli(['secrets', 'delete', 'acme', 'pem'], env);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /deleted secret acme\/pem/);
    assert.equal(await server.airlock.secrets.get('acme', 'pem'), undefined);
    const again = await cli(['secrets', 'delete', 'acme', 'pem'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /SECRET_NOT_FOUND/);
  });

  it('refuses missing hosts, an empty value and a bad host with a usage or API error', async () => {
    const noHosts = await cli(['secrets', 'set', 'acme', 'x'], env, VALUE);
    assert.equal(noHosts.code, 2);
    assert.match(noHosts.stderr, /--hosts is required/);
    const empty = await cli(['secrets', 'set', 'acme', 'x', '--hosts', 'a.com'], env, '\n');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /value is empty/);
    const badHost = await cli(['secrets', 'set', 'acme', 'x', '--hosts', 'https://a.com/'], env, VALUE);
    assert.equal(badHost.code, 1);
    assert.match(badHost.stderr, /VALIDATION_FAILED: host "https:\/\/a.com\/" is invalid/);
    assert.equal(badHost.stderr.includes(VALUE), false);
    const noValueFlag = await cli(['secrets', 'set', 'acme', 'x', '--hosts', 'a.com', '--value', VALUE], env);
    assert.equal(noValueFlag.code, 2, 'there is no --value flag: values never go in argv');
    assert.match(noValueFlag.stderr, /^a secret's value is never a command-line argument .*: pipe it in, e\.g\. printf %s "\$VALUE" \| airlock secrets set/);
    assert.equal(noValueFlag.stderr.includes(VALUE), false, 'the refusal does not echo the value');
    const noHost = await cli(['secrets', 'set', 'acme', 'x', '--hosts', ','], env, VALUE);
    assert.equal(noHost.code, 2);
    assert.match(noHost.stderr, /^--hosts "," names no host: give them comma-separated/);
    assert.equal(await server.airlock.secrets.get('acme', 'x'), undefined);
  });
});
