// `airlock functions` against a real server: list a tenant's functions as a table and as JSON,
// show one (latest or --version) or its versions (--versions) with its limits, isolation, egress and webhook URL, delete one,
// roll one back (rollback --version), print a version's source (--code), and its usage and API errors. The lines of a view with no egress, no webhook or a webhook
// token the server cannot read, on their own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    assert.match(header!, /^VERSION\s+RUNTIME\s+DEPLOYED\s+ISOLATION\s+TIMEOUT\s+MEMORY\s+EGRESS\s+LATEST$/);
    assert.deepEqual(rows.map((l) => l.split(/\s+/).filter((w) => w !== '')), [
      [v2, 'typescript', rows[0]!.split(/\s+/)[2]!, 'tenant', '2000ms', '128MiB', 'none', 'yes'],
      [v1, 'javascript', rows[1]!.split(/\s+/)[2]!, 'tenant', '2000ms', '128MiB', 'none'],
    ]);
    const caller = await runCli(['functions', 'acme/caller', '--versions'], env);
    assert.match(caller.stdout.split('\n')[1]!, new RegExp(`^${vCaller}\\s+javascript\\s+\\S+\\s+function\\s+500ms\\s+64MiB\\s+api\\.example\\.com,\\*\\.example\\.org\\s+yes$`));
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

  it('rollback makes an earlier version the latest again, or says it already is (exit 0)', async () => {
    const r1 = await deploy(server, 'initech', 'flip', 'export default () => 1;');
    const r2 = await deploy(server, 'initech', 'flip', 'export default () => 2;');
    const back = await runCli(['functions', 'rollback', 'initech/flip', '--version', r1], env);
    assert.deepEqual(back, { code: 0, stdout: `made initech/flip version ${r1} the latest again (was ${r2})\n`, stderr: '' });
    assert.equal((await server.request('GET', '/v1/tenants/initech/functions/flip')).body.version, r1);
    const again = await runCli(['functions', 'rollback', 'initech/flip', '--version', r1], env);
    assert.deepEqual(again, { code: 0, stdout: `unchanged initech/flip version ${r1} (it is the latest already)\n`, stderr: '' });
    const json = await runCli(['functions', 'rollback', 'initech/flip', '--version', r2, '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { ...(await server.request('GET', '/v1/tenants/initech/functions/flip')).body, previousVersion: r1 });
    const unknown = await runCli(['functions', 'rollback', 'initech/flip', '--version', 'abc'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`^error VERSION_NOT_FOUND: function initech/flip has no version "abc"; the latest is ${r2}`));
    const noFunction = await runCli(['functions', 'rollback', 'initech/nope', '--version', r1], env);
    assert.equal(noFunction.code, 1);
    assert.match(noFunction.stderr, /^error FUNCTION_NOT_FOUND: /);
    assert.equal((await server.request('GET', '/v1/tenants/initech/functions/flip')).body.version, r2, 'a refused rollback changes nothing');
  });

  it('takes a version by the first 8 or 12 characters of its hash, as module names show it, and prints the whole hash', async () => {
    const shown = await runCli(['functions', 'acme/hello', '--version', v1.slice(0, 12)], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^version\\s+${v1}$`, 'm'));
    const p1 = await deploy(server, 'initech', 'prefixed', 'export default () => "one";');
    const p2 = await deploy(server, 'initech', 'prefixed', 'export default () => "two";');
    const back = await runCli(['functions', 'rollback', 'initech/prefixed', '--version', p1.slice(0, 8)], env);
    assert.deepEqual(back, { code: 0, stdout: `made initech/prefixed version ${p1} the latest again (was ${p2})\n`, stderr: '' });
    const ran = await runCli(['invoke', 'initech/prefixed', '--version', p2.slice(0, 12)], env);
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual([JSON.parse(ran.stdout).result, JSON.parse(ran.stdout).version], ['two', p2]);
    const short = await runCli(['functions', 'rollback', 'initech/prefixed', '--version', p2.slice(0, 6)], env);
    assert.equal(short.code, 1);
    assert.match(short.stderr, /^error VERSION_NOT_FOUND: .* is too short to name one: give at least the first 8 characters of its hash/);
  });

  it("--code prints a version's source as deployed, byte for byte, so > file saves what was deployed", async () => {
    // A byte order mark, CRLF line ends, non-ASCII text, TypeScript types and no final newline.
    const ts = '\uFEFF// Grüße 👋\r\nexport default (input: { n: number }): number => input.n * 2;';
    const vTs = await deploy(server, 'initech', 'src', ts, { runtime: 'typescript' });
    const vJs = await deploy(server, 'initech', 'src', 'export default () => "latest";\n', { runtime: 'javascript' });
    const old = await runCli(['functions', 'initech/src', '--version', vTs, '--code'], env);
    assert.deepEqual(old, { code: 0, stdout: ts, stderr: '' });
    assert.equal((await runCli(['functions', 'initech/src', '--code'], env)).stdout, 'export default () => "latest";\n', 'the latest without --version');
    const missing = await runCli(['functions', 'initech/src', '--version', 'abc', '--code'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, new RegExp(`^error VERSION_NOT_FOUND: function initech/src has no version "abc"; the latest is ${vJs}`));
    // Saved and deployed again (with the version's runtime), it is that very version.
    const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-code-'));
    try {
      const file = join(dir, 'greet.ts');
      writeFileSync(file, 'export default (input: { name: string }) => `hi ${input.name}`;\n');
      const deployed = await runCli(['deploy', file, '--tenant', 'initech'], env);
      const v = /version ([0-9a-f]{64})/.exec(deployed.stdout)![1]!;
      await deploy(server, 'initech', 'greet', 'export default () => "newer";\n');
      const saved = join(dir, 'old.ts');
      writeFileSync(saved, (await runCli(['functions', 'initech/greet', '--version', v, '--code'], env)).stdout);
      assert.deepEqual(readFileSync(saved), readFileSync(file));
      assert.equal((await runCli(['deploy', saved, '--tenant', 'initech', '--name', 'greet'], env)).stdout, `made initech/greet version ${v} the latest again (was ${(await server.request('GET', '/v1/tenants/initech/functions/greet/versions')).body.versions[0].version})\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
    { args: ['functions', 'rollback'], problem: 'missing <tenant>/<function>' },
    { args: ['functions', 'rollback', 'acme'], problem: 'expected <tenant>/<function>, e.g. acme/hello' },
    {
      args: ['functions', 'rollback', 'acme/hello'],
      problem: 'functions rollback needs --version V, the version to make the latest; list them with: airlock functions acme/hello --versions',
    },
    { args: ['functions', 'rollback', 'acme/hello', '--version', 'x', '--code'], problem: '--code does not apply to functions rollback, which takes --version, --json' },
    { args: ['functions', 'rolback', 'acme/hello', '--version', 'x'], problem: 'unknown sub-command "functions rolback"; did you mean "functions rollback"?' },
    { args: ['functions', 'delet', 'acme/hello'], problem: 'unknown sub-command "functions delet"; did you mean "functions delete"?' },
    { args: ['functions', 'acme/hello', '--code', '--json'], problem: '--json does not apply to functions <tenant>/<function> --code, which takes --version, --code' },
    { args: ['functions', 'acme/hello', '--versions', '--code'], problem: '--code does not apply to functions <tenant>/<function> --versions, which takes --versions, --json' },
    { args: ['functions', 'acme', '--code'], problem: '--code does not apply to functions <tenant>, which takes --json' },
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

  it('says the webhook is off, and how to turn it on, when the answer has no webhook', () => {
    assert.deepEqual(functionLines(view, 'http://127.0.0.1:1'), [
      'function   acme/hello',
      'version    abc',
      'runtime    javascript',
      'created    2026-01-01T00:00:00.000Z',
      'isolation  tenant',
      'limits     timeout 2000 ms, memory 128 MiB, input 1 bytes, result 2 bytes, logs 3 bytes',
      'egress     none (no network)',
      'webhook    off (turn it on with: airlock hooks rotate acme/hello)',
    ]);
  });

  it('says how to get a new webhook URL when the server cannot read the token', () => {
    const lines = functionLines({ ...view, webhook: { path: null } }, 'http://127.0.0.1:1');
    assert.equal(lines.at(-1), "webhook    unreadable (sealed with a master key the server no longer has): give the server that key in AIRLOCK_SECRET_KEY_PREVIOUS to keep the URL, or run: airlock hooks rotate acme/hello");
  });
});
