// `airlock functions` against a real server: list a tenant's functions as a table and as JSON,
// show one (latest or --version) or its versions (--versions) with its limits, isolation, egress and webhook URL, delete one,
// and its usage and API errors. The lines of a view with no egress, no webhook or a webhook
// token the server cannot read, on their own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { functionLines } from '../../src/cli/commands/functions.js';
import { runCli } from '../support/process.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('airlock functions', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let v1: string;
  let v2: string;
  let vCaller: string;
  const egress = { allow: [{ host: 'api.example.com', methods: ['GET'], pathPrefixes: ['/v1/'] }, { host: '*.example.org', ports: [8443] }], limits: { requests: 5 } };
  before(async () => {
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0' });
    env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    v1 = await deploy(server, 'acme', 'hello', 'export default () => 1;', { runtime: 'javascript' });
    v2 = await deploy(server, 'acme', 'hello', 'export default () => 2;', { runtime: 'typescript' });
    vCaller = await deploy(server, 'acme', 'caller', 'export default () => 3;', { runtime: 'javascript', egress, limits: { timeoutMs: 500, memoryMiB: 64 }, isolation: 'function' });
  });
  after(() => server.close());

  it('lists a tenant\'s functions as a table and as JSON', async () => {
    const r = await runCli(['functions', 'acme'], env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+LATEST VERSION\s+RUNTIME\s+VERSIONS\s+UPDATED$/);
    const rows = lines.slice(1).map((l) => l.split(/\s+/));
    assert.deepEqual(rows.map((c) => c.slice(0, 4)).sort(), [
      ['caller', vCaller, 'javascript', '1'],
      ['hello', v2, 'typescript', '2'],
    ]);
    const json = await runCli(['functions', 'acme', '--json'], env);
    const api = await server.request('GET', '/v1/tenants/acme/functions');
    assert.deepEqual(JSON.parse(json.stdout), api.body.functions);
  });

  it('shows a function: version, limits, isolation, egress and webhook URL', async () => {
    const r = await runCli(['functions', 'acme/caller'], env);
    assert.equal(r.code, 0, r.stderr);
    const fn = (await server.request('GET', '/v1/tenants/acme/functions/caller')).body;
    assert.equal(
      r.stdout,
      [
        'function       acme/caller',
        `version        ${fn.version}`,
        'runtime        javascript',
        `created        ${fn.createdAt}`,
        'isolation      function',
        `limits         timeout 500 ms, memory 64 MiB, input ${fn.limits.inputBytes} bytes, result ${fn.limits.resultBytes} bytes, logs ${fn.limits.logBytes} bytes`,
        'egress         api.example.com methods GET paths /v1/',
        'egress         *.example.org ports 8443',
        `egress limits  5 requests, request ${fn.egress.limits.requestBytes} bytes, response ${fn.egress.limits.responseBytes} bytes, timeout ${fn.egress.limits.timeoutMs} ms`,
        `webhook        ${server.url}${fn.webhook.path}`,
        '',
      ].join('\n'),
    );
    assert.equal(r.stderr, '');
  });

  it('shows an earlier version with --version, and the whole answer with --json', async () => {
    const r = await runCli(['functions', 'acme/hello', '--version', v1], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^version\\s+${v1}$`, 'm'));
    assert.match(r.stdout, /^runtime\s+javascript$/m);
    assert.match(r.stdout, /^egress\s+none \(no network\)$/m);
    const json = await runCli(['functions', 'acme/hello', '--json'], env);
    assert.deepEqual(JSON.parse(json.stdout), (await server.request('GET', '/v1/tenants/acme/functions/hello')).body);
  });

  it('lists the versions with --versions, newest first, marking the latest', async () => {
    const r = await runCli(['functions', 'acme/hello', '--versions'], env);
    assert.equal(r.code, 0, r.stderr);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    assert.match(header!, /^VERSION\s+RUNTIME\s+DEPLOYED\s+LATEST$/);
    assert.deepEqual(rows.map((l) => l.split(/\s+/).filter((w) => w !== '')), [
      [v2, 'typescript', rows[0]!.split(/\s+/)[2]!, 'yes'],
      [v1, 'javascript', rows[1]!.split(/\s+/)[2]!],
    ]);
    const json = await runCli(['functions', 'acme/hello', '--versions', '--json'], env);
    assert.equal((JSON.parse(json.stdout) as { latest: string }).latest, v2);
  });

  it('says when the function or the version does not exist (exit 1)', async () => {
    const missing = await runCli(['functions', 'acme/nope'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error FUNCTION_NOT_FOUND: function nope not found for tenant acme; .*or list the tenant's functions with `airlock functions acme`/);
    const version = await runCli(['functions', 'acme/hello', '--version', 'abc'], env);
    assert.equal(version.code, 1);
    assert.match(version.stderr, new RegExp(`^error VERSION_NOT_FOUND: function acme/hello has no version "abc"; the latest is ${v2}`));
  });

  it('deletes a function with all its versions', async () => {
    await deploy(server, 'acme', 'gone', 'export default () => 0;');
    const r = await runCli(['functions', 'delete', 'acme/gone'], env);
    assert.deepEqual(r, { code: 0, stdout: 'deleted function acme/gone, all its versions, its webhook and its schedules\n', stderr: '' });
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/gone')).status, 404);
    const again = await runCli(['functions', 'delete', 'acme/gone'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error FUNCTION_NOT_FOUND: /);
  });

  it('an empty tenant says how to deploy a first function; --json prints []', async () => {
    assert.deepEqual(await runCli(['functions', 'globex'], env), {
      code: 0,
      stdout: 'no functions for tenant globex yet; deploy one with: airlock deploy <file> --tenant globex\n',
      stderr: '',
    });
    assert.deepEqual(await runCli(['functions', 'globex', '--json'], env), { code: 0, stdout: '[]\n', stderr: '' });
  });

  const usage: { args: string[]; problem: string }[] = [
    { args: ['functions'], problem: 'missing <tenant> or <tenant>/<function>' },
    { args: ['functions', 'delete'], problem: 'missing <tenant>/<function>' },
    { args: ['functions', 'delete', 'acme'], problem: 'expected <tenant>/<function>, e.g. acme/hello' },
    { args: ['functions', 'acme', 'extra'], problem: 'unexpected argument "extra"' },
    { args: ['functions', 'acme', '--version', 'x'], problem: '--version does not apply to functions <tenant>, which takes --json' },
    { args: ['functions', 'delete', 'acme/hello', '--json'], problem: '--json does not apply to functions delete, which takes no options' },
    { args: ['functions', 'acme/hello', '--limit', '3'], problem: 'unknown option --limit' },
  ];
  for (const { args, problem } of usage) {
    it(`airlock ${args.join(' ')} is a usage error (exit 2)`, async () => {
      const r = await runCli(args, env);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n\nusage:\n  airlock functions <tenant> \\[--json\\]\n`));
    });
  }
});

describe('functionLines', () => {
  const view = {
    tenant: 'acme',
    name: 'hello',
    version: 'abc',
    runtime: 'javascript',
    limits: { timeoutMs: 2000, memoryMiB: 128, inputBytes: 1, resultBytes: 2, logBytes: 3 },
    isolation: 'tenant',
    egress: undefined,
    createdAt: '2026-01-01T00:00:00.000Z',
    webhook: undefined,
  };

  it('leaves out the webhook line when the answer has no webhook', () => {
    assert.deepEqual(functionLines(view, 'http://127.0.0.1:1'), [
      'function   acme/hello',
      'version    abc',
      'runtime    javascript',
      'created    2026-01-01T00:00:00.000Z',
      'isolation  tenant',
      'limits     timeout 2000 ms, memory 128 MiB, input 1 bytes, result 2 bytes, logs 3 bytes',
      'egress     none (no network)',
    ]);
  });

  it('says how to get a new webhook URL when the server cannot read the token', () => {
    const lines = functionLines({ ...view, webhook: { path: null } }, 'http://127.0.0.1:1');
    assert.equal(lines.at(-1), "webhook    unreadable (sealed with a master key the server no longer has): give the server that key in AIRLOCK_SECRET_KEY_PREVIOUS to keep the URL, or run: airlock hooks rotate acme/hello");
  });
});
