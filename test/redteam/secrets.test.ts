// Red team, host secrets: a tenant hunts for the canaries planted in the server's environment
// and data dir, through its own environment, every /proc entry it can see, its mount table,
// the usual credential files, and the data dir (the real path, handed to it, and guesses).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resultOf, startRedteamServer } from './support.js';
import type { RedteamServer } from './support.js';

/** Errors that mean "not there / not allowed", never "read". */
const UNREADABLE = ['ENOENT', 'EACCES', 'EPERM'];

describe('red team: host secrets', () => {
  let srv: RedteamServer;
  before(async () => {
    srv = await startRedteamServer();
  });
  after(async () => {
    await srv.stop();
  });

  it('the canary check itself catches a leak (control)', async () => {
    // The only way a canary can come back here is the caller sending it: it must be caught.
    await assert.rejects(
      srv.attack('echo', `export default async (input) => ({ echoed: input });`, { input: srv.secrets[0] }),
      /a planted secret leaked/,
    );
  });

  it('process.env of the sandbox holds nothing of the host', async () => {
    const answer = await srv.attack('env-dump', `export default async () => ({ env: { ...process.env }, argv: process.argv, execArgv: process.execArgv });`);
    const r = resultOf<{ env: Record<string, string>; argv: string[] }>(answer);
    srv.assertNoCanary(answer);
    assert.deepEqual(Object.keys(r.env).filter((k) => k !== 'PWD'), [], JSON.stringify(r.env));
    for (const arg of r.argv) assert.doesNotMatch(arg, /airlock-rt-|\/work|\/root|dist\//, arg);
  });

  it('scanning /proc/*/environ and /proc/*/cmdline finds no canary', async () => {
    const answer = await srv.attack(
      'proc-scan',
      `import { readdirSync, readFileSync } from 'node:fs';
      export default async () => {
        const seen = {};
        const pids = readdirSync('/proc').filter((e) => /^\\d+$/.test(e)).slice(0, 256);
        for (const p of [...pids, 'self', 'thread-self']) {
          const entry = {};
          for (const f of ['environ', 'cmdline']) {
            try { entry[f] = readFileSync('/proc/' + p + '/' + f, 'latin1'); } catch (e) { entry[f] = e.code; }
          }
          seen[p] = entry;
        }
        return { pids, seen };
      };`,
    );
    const r = resultOf<{ pids: string[]; seen: Record<string, { environ: string; cmdline: string }> }>(answer);
    srv.assertNoCanary(answer);
    assert.deepEqual(r.pids, ['1'], 'the harness sees only itself');
    for (const [pid, entry] of Object.entries(r.seen)) {
      assert.ok(['', 'PWD=/tmp\0'].includes(entry.environ), `${pid} environ: ${JSON.stringify(entry.environ)}`);
      assert.doesNotMatch(entry.cmdline, /--args|bwrap|airlock-rt-|\/work/, `${pid} cmdline`);
    }
  });

  it('/proc/self/mountinfo names no host path', async () => {
    const repo = fileURLToPath(new URL('../../..', import.meta.url));
    const answer = await srv.attack(
      'mountinfo',
      `import { readFileSync } from 'node:fs'; export default async () => readFileSync('/proc/self/mountinfo', 'utf8');`,
    );
    const mountinfo = resultOf<string>(answer);
    srv.assertNoCanary(answer);
    for (const hostPath of [srv.dataDir, repo, process.cwd(), '/work', '/root', '/home', '/etc', '/var', 'airlock-rt-']) {
      assert.ok(!mountinfo.includes(hostPath), `mountinfo mentions ${hostPath}`);
    }
    // Bind sources (field 4) are only "/" of tmpfs/proc or the sandbox's own /usr.
    for (const line of mountinfo.trim().split('\n')) {
      assert.match(line.split(' ')[3] ?? '', /^\/(usr|sys)?/, line);
    }
  });

  it('~/.aws, /root and /etc/shadow are not there', async () => {
    const answer = await srv.attack(
      'credential-files',
      `import { readFileSync, readdirSync } from 'node:fs';
      export default async () => {
        const out = {};
        const paths = ['/root/.aws/credentials', '/root/.ssh/id_rsa', '/etc/shadow', '/etc/passwd', '/etc/hostname',
          '/.aws/credentials', '/root/.aws/config', '/home', '/root', '/proc/1/root/etc/shadow', '/proc/1/cwd/../etc/shadow'];
        for (const p of paths) {
          try { out[p] = 'READ ' + (p.endsWith('/root') || p === '/home' ? readdirSync(p).join(',') : readFileSync(p, 'latin1').slice(0, 64)); }
          catch (e) { out[p] = e.code; }
        }
        return out;
      };`,
    );
    const r = resultOf<Record<string, string>>(answer);
    srv.assertNoCanary(answer);
    for (const [path, outcome] of Object.entries(r)) assert.ok(UNREADABLE.includes(outcome), `${path}: ${outcome}`);
    assert.equal(r['/etc/shadow'], 'ENOENT');
    assert.equal(r['/root/.aws/credentials'], 'ENOENT');
  });

  it("the server's data dir cannot be reached, by its real path or by guessing", async () => {
    const answer = await srv.attack(
      'data-dir',
      `import { readFileSync, readdirSync } from 'node:fs';
      export default async (input) => {
        const out = {};
        const guesses = [input.dataDir, input.dataDir + '/admin.key', input.dataDir + '/secrets.env', input.dataDir + '/airlock.db',
          '/tmp/' + input.dataDir.split('/').pop(), './.airlock', '/.airlock', '/var/lib/airlock', '/srv/airlock', input.cwd + '/.airlock'];
        for (const p of guesses) {
          try { out[p] = 'READ ' + readFileSync(p, 'latin1').slice(0, 200); }
          catch (e) {
            if (e.code === 'EISDIR') { try { out[p] = 'LISTED ' + readdirSync(p).join(','); } catch (e2) { out[p] = e2.code; } }
            else out[p] = e.code;
          }
        }
        out.tmpListing = readdirSync('/tmp');
        return out;
      };`,
      { input: { dataDir: srv.dataDir, cwd: process.cwd() } },
    );
    const r = resultOf<Record<string, unknown>>(answer);
    srv.assertNoCanary(answer);
    const { tmpListing, ...paths } = r;
    assert.deepEqual(tmpListing, [], "the sandbox's /tmp is its own, empty");
    for (const [path, outcome] of Object.entries(paths)) assert.equal(outcome, 'ENOENT', path);
  });
});
