// The real server process: CLI round trip and the printed example, restart on the same data
// dir, graceful shutdown that leaves no sandbox process behind, refusal to start without
// bubblewrap, and the process isolator's loud opt-in.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { alive, CLI, descendants, expectStartRefused, runCli, runPrintedExample, startServerProcess } from '../support/process.js';
import type { ServerProcess } from '../support/process.js';

/** Waits until the server has a busy sandbox (the call is in flight); returns its processes. */
async function waitForSandboxes(server: ServerProcess): Promise<number[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    if (/airlock_sandboxes\{state="busy"\} [1-9]/.test(text)) return descendants(server.child.pid!);
    if (Date.now() > deadline) throw new Error('no call became busy in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('server process', () => {
  let dataDir: string;
  let work: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'airlock-srv-'));
    work = mkdtempSync(join(tmpdir(), 'airlock-cli-'));
  });
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('deploys and invokes through the CLI, survives a restart, and leaves no sandbox behind', async () => {
    const env = { AIRLOCK_DATA_DIR: dataDir, AIRLOCK_POOL_SIZE: '2' };
    const first = await startServerProcess({ ...env, AIRLOCK_POOLSIZE: '3' });
    let execution: { executionId: string; result: unknown };
    let sandboxes: number[];
    try {
      assert.match(first.output(), /admin key: ak_admin_/);
      assert.match(first.output(), /AIRLOCK_POOLSIZE is not an Airlock setting and is ignored; did you mean AIRLOCK_POOL_SIZE\?/);
      // The printed example works as printed from another directory (the data dir is not ./.airlock).
      const example = await runPrintedExample(first.output(), mkdtempSync(join(work, 'shell-')), {});
      assert.equal(example.code, 0, example.stderr);
      assert.match(example.stdout, /deployed acme\/hello version/);
      assert.match(example.stdout, /"hello":\s*"world"/);
      const cliEnv = { AIRLOCK_URL: first.url, AIRLOCK_DATA_DIR: dataDir };
      const file = join(work, 'greet.ts');
      writeFileSync(file, 'export default async (input: { name: string }) => ({ hello: input.name });\n');

      const dep = await runCli(['deploy', file, '--tenant', 'acme'], cliEnv);
      assert.equal(dep.code, 0, dep.stderr);
      assert.match(dep.stdout, /deployed acme\/greet version [0-9a-f]{64}/);
      const inv = await runCli(['invoke', 'acme/greet', '--input', '{"name":"world"}'], cliEnv);
      assert.equal(inv.code, 0, inv.stderr);
      execution = JSON.parse(inv.stdout) as { executionId: string; result: unknown };
      assert.deepEqual(execution.result, { hello: 'world' });
      const badInput = await runCli(['invoke', 'acme/greet', '--input', '{nope'], cliEnv);
      assert.equal(badInput.code, 2);
      assert.match(badInput.stderr, /not valid JSON/);

      sandboxes = descendants(first.child.pid!);
      assert.ok(sandboxes.length >= 2, `expected pool sandboxes under the server, saw ${sandboxes.length}`);
    } catch (err) {
      await first.stop(); // a failed check must not leave the server running
      throw err;
    }
    assert.equal(await first.stop(), 0);
    const survivors = sandboxes.filter(alive);
    assert.deepEqual(survivors, [], 'no sandbox process survives shutdown');

    const second = await startServerProcess(env);
    try {
      assert.doesNotMatch(second.output(), /\(new; saved/);
      const cliEnv2 = { AIRLOCK_URL: second.url, AIRLOCK_DATA_DIR: dataDir };
      const list = await runCli(['executions', 'acme'], cliEnv2);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(execution.executionId));
      const one = await runCli(['executions', 'acme', execution.executionId], cliEnv2);
      assert.deepEqual(JSON.parse(one.stdout).result, { hello: 'world' });
      const again = await runCli(['invoke', 'acme/greet', '--input', '{"name":"again"}'], cliEnv2);
      assert.deepEqual(JSON.parse(again.stdout).result, { hello: 'again' });
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });

  it('a SIGTERM sent as soon as it says it is listening stops it cleanly (exit 0), as later', async () => {
    const server = await startServerProcess({ AIRLOCK_DATA_DIR: mkdtempSync(join(work, 'data-')), AIRLOCK_POOL_SIZE: '0' });
    assert.equal(await server.stop(), 0, server.output());
  });

  it('stops cleanly on SIGHUP (a closed terminal), like on SIGTERM, instead of dying at once', async () => {
    const server = await startServerProcess({ AIRLOCK_DATA_DIR: mkdtempSync(join(work, 'data-')), AIRLOCK_POOL_SIZE: '0', AIRLOCK_LOG_LEVEL: 'info' });
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGHUP');
    assert.equal(await exited, 0, server.output());
    assert.match(server.output(), /"signal":"SIGHUP"[^\n]*stopping/);
    assert.match(server.output(), /"msg":"stopped"/);
  });

  it('warns at start that AIRLOCK_ADMIN_KEY makes an admin.key in the data dir ignored, and that it can be deleted', async () => {
    const dir = mkdtempSync(join(work, 'data-'));
    writeFileSync(join(dir, 'admin.key'), 'ak_admin_from_an_earlier_start_0123456789\n', { mode: 0o600 });
    const adminKey = 'ak_admin_given_by_the_operator_0123456789';
    const server = await startServerProcess({ AIRLOCK_DATA_DIR: dir, AIRLOCK_ADMIN_KEY: adminKey, AIRLOCK_POOL_SIZE: '0' });
    try {
      const warning = server.output().split('\n').find((line) => line.includes('"level":40') && line.includes('admin key file'));
      assert.ok(warning !== undefined, server.output());
      assert.match(warning, new RegExp(`AIRLOCK_ADMIN_KEY is set, so the admin key file ${join(dir, 'admin.key')} is ignored`));
      assert.match(warning, /delete the file/);
      assert.doesNotMatch(server.output(), /ak_admin_from_an_earlier_start|ak_admin_given_by_the_operator/, 'no key printed');
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it("prints an example that works with the admin key given in AIRLOCK_ADMIN_KEY, without printing the key", async () => {
    const adminKey = 'ak_admin_given_by_the_operator_0123456789';
    const server = await startServerProcess({ AIRLOCK_DATA_DIR: mkdtempSync(join(work, 'data-')), AIRLOCK_ADMIN_KEY: adminKey, AIRLOCK_POOL_SIZE: '1' });
    try {
      assert.doesNotMatch(server.output(), new RegExp(adminKey));
      const example = await runPrintedExample(server.output(), mkdtempSync(join(work, 'shell-')), { AIRLOCK_ADMIN_KEY: adminKey });
      assert.equal(example.code, 0, example.stderr);
      assert.match(example.stdout, /"hello":\s*"world"/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('with AIRLOCK_BANNER=off, stdout holds JSON log lines only, and the generated admin key is in its file, not the output', async () => {
    const dataDir = mkdtempSync(join(work, 'data-'));
    const server = await startServerProcess({ AIRLOCK_DATA_DIR: dataDir, AIRLOCK_BANNER: 'off', AIRLOCK_LOG_LEVEL: 'info', AIRLOCK_POOL_SIZE: '1' });
    try {
      const adminKey = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
      assert.doesNotMatch(server.output(), new RegExp(adminKey), 'the key is not printed');
      const lines = server.output().trimEnd().split('\n');
      const listening = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.msg === 'listening');
      assert.deepEqual([listening?.url, listening?.adminKeyFile], [server.url, join(dataDir, 'admin.key')]);
      // That the admin key was made is said in the log, with its file: information on a first start.
      const generated = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => String(l.msg).startsWith('generated the admin key'));
      assert.equal(generated?.path, join(dataDir, 'admin.key'), server.output());
      assert.equal(generated?.level, 30);
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    // Its file deleted (a rotation, or a mistake): the next start's new key is a warning, since the old one stops working.
    rmSync(join(dataDir, 'admin.key'));
    const again = await startServerProcess({ AIRLOCK_DATA_DIR: dataDir, AIRLOCK_BANNER: 'off', AIRLOCK_LOG_LEVEL: 'info', AIRLOCK_POOL_SIZE: '1' });
    try {
      const lines = again.output().trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      const replaced = lines.find((l) => String(l.msg).startsWith('generated a new admin key'));
      assert.equal(replaced?.level, 40, again.output());
      assert.match(String(replaced?.msg), /a key an earlier start generated no longer works/);
      assert.equal(lines.filter((l) => String(l.msg).startsWith('generated the admin key')).length, 0);
    } finally {
      assert.equal(await again.stop(), 0);
    }
  });

  it('started outside the package, prints an example that runs this CLI by its path (npx would fetch another package)', async () => {
    const elsewhere = mkdtempSync(join(work, 'elsewhere-'));
    const home = process.cwd();
    process.chdir(elsewhere); // the server inherits this directory
    let server: ServerProcess;
    try {
      server = await startServerProcess({ AIRLOCK_DATA_DIR: mkdtempSync(join(work, 'data-')), AIRLOCK_POOL_SIZE: '1' });
    } finally {
      process.chdir(home);
    }
    try {
      const deployLine = `\n  node ${CLI} deploy hello.ts --tenant acme\n`;
      assert.ok(server.output().includes(deployLine), `the example has ${JSON.stringify(deployLine)}:\n${server.output()}`);
      assert.doesNotMatch(server.output(), /npx/);
      const example = await runPrintedExample(server.output(), mkdtempSync(join(work, 'shell-')), {});
      assert.equal(example.code, 0, example.stderr);
      assert.match(example.stdout, /"hello":\s*"world"/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('refuses a data dir that is a file, before starting anything', async () => {
    const file = join(work, 'not-a-dir');
    writeFileSync(file, 'x');
    const refused = await expectStartRefused({ AIRLOCK_DATA_DIR: file });
    assert.match(refused, /exited with 1 before listening/);
    assert.match(refused, new RegExp(`error CONFIG_INVALID: the data dir ${file} is not a directory`));
    assert.doesNotMatch(refused, /ENOTDIR/, 'no raw errno message');
  });

  it('refuses AIRLOCK_DATABASE_URL before writing anything, saying what is supported', async () => {
    const dir = mkdtempSync(join(work, 'data-'));
    const refused = await expectStartRefused({ AIRLOCK_DATA_DIR: dir, AIRLOCK_DATABASE_URL: 'postgres://x' });
    assert.match(refused, /exited with 1 before listening/);
    assert.match(refused, /error CONFIG_INVALID: AIRLOCK_DATABASE_URL is set \(a postgres: URL\), but this release supports only SQLite/);
    assert.deepEqual(readdirSync(dir), [], 'no admin.key, secret.key or database written');
  });

  it('refuses an admin key file it cannot use, and exits instead of hanging on what it had opened', async () => {
    const dir = mkdtempSync(join(work, 'data-'));
    mkdirSync(join(dir, 'admin.key'));
    const refused = await expectStartRefused({ AIRLOCK_DATA_DIR: dir });
    assert.match(refused, /exited with 1 before listening/);
    assert.match(refused, new RegExp(`error CONFIG_INVALID: the admin key file ${join(dir, 'admin.key')} is not a regular file; remove it or set AIRLOCK_ADMIN_KEY`));
    assert.doesNotMatch(refused, /EISDIR/, 'no raw errno message');
  });

  it('refuses a port in use and a host that is not this machine, saying how to fix each', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const dataDir = mkdtempSync(join(work, 'data-'));
      const inUse = await expectStartRefused({ AIRLOCK_DATA_DIR: dataDir, AIRLOCK_PORT: String(port) });
      assert.match(inUse, new RegExp(`exited with 1 before listening`));
      assert.match(inUse, new RegExp(`error LISTEN_FAILED: port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.doesNotMatch(inUse, /setupListenHandle/, 'no raw stack trace');
      assert.deepEqual(readdirSync(dataDir), [], 'refused before writing keys or a database');
      assert.doesNotMatch(inUse, /generated the secrets master key/);
    } finally {
      squatter.close();
    }
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: binding fails before any traffic.
    const elsewhere = mkdtempSync(join(work, 'data-'));
    const notHere = await expectStartRefused({ AIRLOCK_DATA_DIR: elsewhere, AIRLOCK_HOST: '192.0.2.1' });
    assert.match(notHere, /error LISTEN_FAILED: cannot listen on 192\.0\.2\.1:0: 192\.0\.2\.1 is not an address of this machine/);
    assert.deepEqual(readdirSync(elsewhere), []);
  });

  it('refuses a host name that does not resolve with LISTEN_FAILED, not a getaddrinfo stack trace', async (t) => {
    // The server runs in network and mount namespaces of its own, where names are looked up in
    // /etc/hosts only: no query can leave the machine, and the host's mounts are untouched.
    if (process.getuid?.() !== 0 || !existsSync('/etc/nsswitch.conf')) {
      t.skip('needs root (unshare) and /etc/nsswitch.conf');
      return;
    }
    const dir = mkdtempSync(join(work, 'data-'));
    const nsswitch = join(work, 'nsswitch.conf');
    writeFileSync(nsswitch, 'hosts: files\n');
    const script = 'mount --bind "$1" /etc/nsswitch.conf && exec "$2" "$3" server';
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(
        'unshare',
        ['--mount', '--propagation', 'private', '--net', 'sh', '-c', script, 'sh', nsswitch, process.execPath, CLI],
        {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', AIRLOCK_DATA_DIR: dir, AIRLOCK_HOST: 'nonexistent.invalid', AIRLOCK_PORT: '18901' },
          timeout: 30_000,
        },
        (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, out: stdout + stderr }),
      );
    });
    assert.equal(run.code, 1, run.out);
    assert.match(run.out, /error LISTEN_FAILED: cannot listen on nonexistent\.invalid:18901: looking up nonexistent\.invalid failed: no such name; set AIRLOCK_HOST/);
    assert.doesNotMatch(run.out, /GetAddrInfoReqWrap|^Error:/m, 'no raw stack trace');
    assert.deepEqual(readdirSync(dir), [], 'refused before writing keys or a database');
  });

  it('on SIGTERM finishes calls in flight within the grace period, and fails the rest cleanly', async () => {
    for (const { grace, sleepMs, expect } of [
      { grace: '10000', sleepMs: 700, expect: 'succeeded' },
      { grace: '300', sleepMs: 8000, expect: 'killed' },
    ]) {
      const dir = mkdtempSync(join(tmpdir(), 'airlock-stop-'));
      const server = await startServerProcess({ AIRLOCK_DATA_DIR: dir, AIRLOCK_SHUTDOWN_GRACE_MS: grace });
      try {
        const key = readFileSync(join(dir, 'admin.key'), 'utf8').trim();
        const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
        const code = `export default async () => { await new Promise((r) => setTimeout(r, ${sleepMs})); return "done"; }`;
        await fetch(`${server.url}/v1/tenants/acme/functions/slow`, { method: 'PUT', headers, body: JSON.stringify({ code, limits: { timeoutMs: 10_000 } }) });
        const call = fetch(`${server.url}/v1/tenants/acme/functions/slow/invoke`, { method: 'POST', headers, body: '{}' });
        const sandboxes = await waitForSandboxes(server);
        const stopped = server.stop();
        const res = await call;
        assert.equal(res.status, 200);
        const body = (await res.json()) as { status: string; result?: string; error?: { type: string } };
        assert.equal(body.status, expect, JSON.stringify(body));
        if (expect === 'succeeded') assert.equal(body.result, 'done');
        else assert.equal(body.error?.type, 'SandboxDestroyed');
        assert.equal(await stopped, 0);
        assert.deepEqual(sandboxes.filter(alive), [], 'no sandbox process survives shutdown');
      } finally {
        // A failed check above must not leave the server running (a second SIGTERM ends it at once).
        if (server.child.exitCode === null && server.child.signalCode === null) await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('refuses to start without bubblewrap and says how to install it', async () => {
    await assert.rejects(
      startServerProcess({ AIRLOCK_DATA_DIR: dataDir, AIRLOCK_BWRAP: '/nonexistent/bwrap' }),
      (err: Error) => {
        assert.match(err.message, /exited with [1-9]/);
        assert.match(err.message, /apt-get install -y bubblewrap/);
        assert.match(err.message, /AIRLOCK_ISOLATION=process/);
        return true;
      },
    );
  });

  it('runs without isolation only when asked, warning loudly and recording isolation none', async () => {
    const dev = mkdtempSync(join(tmpdir(), 'airlock-dev-'));
    const server = await startServerProcess({ AIRLOCK_DATA_DIR: dev, AIRLOCK_ISOLATION: 'process', AIRLOCK_BWRAP: '/nonexistent/bwrap' });
    try {
      assert.match(server.output(), /WITHOUT any isolation/);
      const key = (await import('node:fs')).readFileSync(join(dev, 'admin.key'), 'utf8').trim();
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      await fetch(`${server.url}/v1/tenants/dev/functions/f`, { method: 'PUT', headers, body: JSON.stringify({ code: 'export default () => 1' }) });
      const res = await fetch(`${server.url}/v1/tenants/dev/functions/f/invoke`, { method: 'POST', headers, body: '{}' });
      const body = (await res.json()) as { executionId: string; result: number };
      assert.equal(body.result, 1);
      const rec = await fetch(`${server.url}/v1/tenants/dev/executions/${body.executionId}`, { headers });
      assert.equal(((await rec.json()) as { isolation: string }).isolation, 'none');
    } finally {
      await server.stop();
      rmSync(dev, { recursive: true, force: true });
    }
  });
});
