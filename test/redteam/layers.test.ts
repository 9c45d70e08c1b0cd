// Red team, one attack per isolation layer that only that layer stops: each runs once with the
// layer and once without it, and must succeed without it (proving the attack is real) and fail
// with it (proving the layer is what stops it).
// - namespaces: read the server's environment through /proc (the process isolator has none);
// - seccomp: use the kernel keyring (AIRLOCK_SECCOMP=off);
// - cgroups: an off-heap Buffer bomb the V8 heap limit does not see (AIRLOCK_CGROUPS=off);
// - unprivileged-uid: read a root-only file in the sandbox's read-only /usr. The server refuses to
//   run sandboxes as host root at all, so this one runs bwrap with the server's own argument list
//   directly, once as root and once as the sandbox uid.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { buildBwrapArgs } from '../../src/sandbox/bwrap/args.js';
import { resultOf, startRedteamServer } from './support.js';
import type { RedteamServer } from './support.js';

const READ_SERVER_ENV = `import { readFileSync } from 'node:fs';
export default async () => {
  const found = [];
  for (const pid of [process.ppid, 1]) {
    try { found.push(readFileSync('/proc/' + pid + '/environ', 'latin1')); } catch (e) { found.push(e.code); }
  }
  // the server is an ancestor: walk up a few parents
  let pid = process.ppid;
  for (let i = 0; i < 4 && pid > 1; i++) {
    try {
      pid = Number(/^PPid:\\s+(\\d+)/m.exec(readFileSync('/proc/' + pid + '/status', 'utf8'))[1]);
      found.push(readFileSync('/proc/' + pid + '/environ', 'latin1'));
    } catch (e) { found.push(e.code); break; }
  }
  return found.join('\\n');
};`;

const KEYCTL = `import { spawnSync } from 'node:child_process';
export default async () => {
  // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, create = 1)
  const r = spawnSync('/usr/bin/perl', ['-e', 'my $r = syscall(250, 0, -3, 1); print "$r " . ($! + 0)'], { encoding: 'utf8' });
  const [ret, errno] = r.stdout.trim().split(' ').map(Number);
  return { ret, errno };
};`;

const BUFFER_BOMB = `export default async () => {
  const hoard = [];
  for (let i = 0; i < 400; i++) hoard.push(Buffer.alloc(1 << 20, i & 255)); // 400 MiB off the V8 heap
  return hoard.length;
};`;

describe('red team: every layer stops an attack nothing else stops', () => {
  const servers: RedteamServer[] = [];
  let full: RedteamServer;
  before(async () => {
    full = await startRedteamServer();
    servers.push(full);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function without(env: Record<string, string>): Promise<RedteamServer> {
    const srv = await startRedteamServer(env);
    servers.push(srv);
    return srv;
  }

  it('namespaces: the server environment is readable without them, not with them', async () => {
    const bare = await without({ AIRLOCK_ISOLATION: 'process' });
    // Raw HTTP: the helpers would (rightly) fail on the leak this attack is expected to achieve.
    assert.equal((await bare.deploy('mallory', 'read-env', READ_SERVER_ENV)).status, 201);
    const res = await fetch(`${bare.url}/v1/tenants/mallory/functions/read-env/invoke`, { method: 'POST', headers: bare.headers, body: '{}' });
    const leaked = (await res.json()) as { status: string; result: unknown };
    assert.equal(leaked.status, 'succeeded', JSON.stringify(leaked));
    assert.ok(bare.secrets.some((s) => String(leaked.result).includes(s)), 'without namespaces the canary leaks');
    const held = await full.attack('read-env', READ_SERVER_ENV);
    full.assertNoCanary(held);
    assert.match(String(held.body.result), /ENOENT|EACCES/);
  });

  it('seccomp: the kernel keyring is reachable without it, EPERM with it', async () => {
    const bare = await without({ AIRLOCK_SECCOMP: 'off', AIRLOCK_REQUIRED_LAYERS: 'namespaces,unprivileged-uid,cgroups' });
    const open = resultOf<{ ret: number; errno: number }>(await bare.attack('keyctl', KEYCTL));
    assert.ok(open.ret > 0, `without seccomp keyctl returns a keyring id: ${JSON.stringify(open)}`);
    const held = await full.attack('keyctl', KEYCTL);
    full.assertNoCanary(held);
    assert.deepEqual(resultOf(held), { ret: -1, errno: 1 });
  });

  it('cgroups: a 400 MiB off-heap Buffer bomb succeeds without them, oom with them', async () => {
    const bare = await without({ AIRLOCK_CGROUPS: 'off', AIRLOCK_REQUIRED_LAYERS: 'namespaces,unprivileged-uid,seccomp' });
    const limits = { memoryMiB: 64, timeoutMs: 20_000 };
    const open = await bare.attack('buffer-bomb', BUFFER_BOMB, { limits });
    assert.deepEqual([open.body.status, open.body.result], ['succeeded', 400], JSON.stringify(open.body.error));
    const held = await full.attack('buffer-bomb', BUFFER_BOMB, { limits });
    full.assertNoCanary(held);
    assert.equal(held.body.status, 'oom', JSON.stringify(held.body));
  });

  it('unprivileged-uid: a root-only file under /usr is readable as host root, not as the sandbox uid', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
    const dir = `/usr/local/share/airlock-redteam-${randomBytes(6).toString('hex')}`;
    const secret = `uid-canary-${randomBytes(8).toString('hex')}`;
    mkdirSync(dir, { mode: 0o755 });
    try {
      writeFileSync(`${dir}/root-only`, secret, { mode: 0o600 });
      const { args } = buildBwrapArgs({ nodePath: realpathSync(process.execPath), memoryMiB: 64, tmpBytes: 1 << 20, codeBytes: 1 << 20, programFd: 0 });
      const read = (uid: number): string => {
        const r = spawnSync('bwrap', [...args, '--', '/usr/bin/cat', `${dir}/root-only`], { input: '', uid, gid: uid, encoding: 'utf8', env: {} });
        return `${r.stdout}${r.stderr}`;
      };
      assert.equal(read(0), secret, 'as host root (the layer removed) the attack works');
      const held = read(65534);
      assert.ok(!held.includes(secret), 'as the unprivileged sandbox uid it does not');
      assert.match(held, /Permission denied/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
