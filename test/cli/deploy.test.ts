// `airlock deploy`: what it prints (deployed, unchanged, an existing version made the latest again); --egress: the policy comes
// from a file (@path) or inline JSON, reaches the server's deploy body, and is returned with the
// function; invalid JSON is a usage error. --bundle deploys a file above the source limit as a bundle.
// A refusal at a position in the source names it as file:line:column.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/cli/args.js';
import { ApiError, createClient } from '../../src/cli/client.js';
import { deployCommand, parseEgress } from '../../src/cli/commands/deploy.js';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('airlock deploy', () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'airlock-cli-egress-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deploys a file that starts with a byte order mark as it is: the same version as those bytes through the API', async () => {
    const code = '\uFEFFexport default async () => "bom";';
    writeFileSync(join(dir, 'bom.js'), code);
    const client = createClient({ AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey });
    const write = process.stdout.write;
    let printed = '';
    process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
    try {
      await deployCommand([join(dir, 'bom.js'), '--tenant', 'acme'], client);
    } finally {
      process.stdout.write = write;
    }
    const viaCli = /version ([0-9a-f]{64})/.exec(printed)?.[1];
    const viaApi = await server.request('PUT', '/v1/tenants/acme/functions/bom', { code, runtime: 'javascript' }); // as the CLI says for .js
    assert.equal(viaApi.body.version, viaCli, JSON.stringify(viaApi.body));
    assert.equal(viaApi.status, 200, 'unchanged: the CLI had deployed these very bytes');
    const ran = await server.request('POST', '/v1/tenants/acme/functions/bom/invoke', { input: null });
    assert.equal(ran.body.result, 'bom');
  });

  it('reads a policy file and deploys it with the function', async () => {
    const policy = { allow: [{ host: 'api.example.com', methods: ['GET'], pathPrefixes: ['/v1/'] }], limits: { requests: 5 } };
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(policy));
    writeFileSync(join(dir, 'caller.js'), 'export default async (input, ctx) => (await ctx.fetch("https://api.example.com/v1/x")).status;');
    const client = createClient({ AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey });
    const write = process.stdout.write;
    let printed = '';
    process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
    try {
      await deployCommand([join(dir, 'caller.js'), '--tenant', 'acme', '--egress', `@${join(dir, 'policy.json')}`], client);
    } finally {
      process.stdout.write = write;
    }
    assert.match(printed, /deployed acme\/caller version [0-9a-f]{64}/);
    const got = await server.request('GET', '/v1/tenants/acme/functions/caller');
    assert.deepEqual(got.body.egress.allow, policy.allow);
    assert.equal(got.body.egress.limits.requests, 5);
  });

  it('prints deployed, unchanged, or made the latest again when another version\'s code is deployed again', async () => {
    const client = createClient({ AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey });
    const file = join(dir, 'roll.js');
    const deployPrinting = async (code: string): Promise<string> => {
      writeFileSync(file, code);
      const write = process.stdout.write;
      let printed = '';
      process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
      try {
        await deployCommand([file, '--tenant', 'acme'], client);
      } finally {
        process.stdout.write = write;
      }
      return printed;
    };
    const v1 = /version ([0-9a-f]{64})/.exec(await deployPrinting('export default () => 1'))?.[1];
    const v2 = /version ([0-9a-f]{64})/.exec(await deployPrinting('export default () => 2'))?.[1];
    assert.ok(v1 !== undefined && v2 !== undefined);
    assert.equal(await deployPrinting('export default () => 1'), `made acme/roll version ${v1} the latest again (was ${v2})\n`);
    assert.equal(await deployPrinting('export default () => 1'), `unchanged acme/roll version ${v1}\n`);
    assert.equal(await deployPrinting('export default () => 2'), `made acme/roll version ${v2} the latest again (was ${v1})\n`, 'forward as well as back');
  });

  it('--bundle deploys a file above the source limit (256 KiB) as a bundle, which the refusal without it suggests', async () => {
    const client = createClient({ AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey });
    const file = join(dir, 'bundled.js');
    writeFileSync(file, `export default () => 'bundled';\n//${'x'.repeat(300 * 1024)}\n`);
    await assert.rejects(
      deployCommand([file, '--tenant', 'acme'], client),
      (e: unknown) =>
        e instanceof ApiError && e.code === 'SOURCE_TOO_LARGE' && /deploy it as one: "bundle": true \(airlock deploy --bundle\)/.test(e.message),
    );
    const write = process.stdout.write;
    let printed = '';
    process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
    try {
      await deployCommand([file, '--tenant', 'acme', '--bundle'], client);
    } finally {
      process.stdout.write = write;
    }
    assert.match(printed, /^deployed acme\/bundled version [0-9a-f]{64}\n$/);
    const run = await server.request('POST', '/v1/tenants/acme/functions/bundled/invoke', { input: null });
    assert.equal(run.body.result, 'bundled', JSON.stringify(run.body));
  });

  it('a refusal with a position names the file there (file:line:column), as a compiler does', async () => {
    const client = createClient({ AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey });
    const file = join(dir, 'broken.ts');
    writeFileSync(file, 'import type { Context } from "./airlock.js";\nexport default async (input: unknown, ctx: Context) => {\n  const x = ;\n};\n');
    await assert.rejects(deployCommand([file, '--tenant', 'acme'], client), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 'SYNTAX_ERROR');
      assert.match(e.message, /^syntax error at 3:13: /);
      assert.equal(e.hint, `  at ${file}:3:13`);
      return true;
    });
    const enumFile = join(dir, 'verdict.ts');
    writeFileSync(enumFile, 'enum Verdict { Pass, Fail }\nexport default async () => Verdict.Pass;\n');
    await assert.rejects(deployCommand([enumFile, '--tenant', 'acme'], client), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 'UNSUPPORTED_SYNTAX');
      assert.equal(e.hint, `  at ${enumFile}:1:1`);
      return true;
    });
    // A refusal without a position (a source too large) gets no such line.
    const big = join(dir, 'big.ts');
    writeFileSync(big, `export default () => 1;\n//${'x'.repeat(300 * 1024)}\n`);
    await assert.rejects(deployCommand([big, '--tenant', 'acme'], client), (e: unknown) => e instanceof ApiError && e.code === 'SOURCE_TOO_LARGE' && e.hint === undefined);
  });

  it('accepts inline JSON and refuses invalid JSON as a usage error', () => {
    assert.deepEqual(parseEgress('{"allow":[]}'), { allow: [] });
    assert.throws(() => parseEgress('{allow'), (e: unknown) => e instanceof UsageError && /--egress/.test(e.message));
    assert.throws(
      () => parseEgress(`@${join(dir, 'missing.json')}`),
      (e: unknown) => e instanceof UsageError && e.message === `cannot read the --egress policy file ${join(dir, 'missing.json')}: no such file`,
    );
  });
});
