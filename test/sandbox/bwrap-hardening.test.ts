// Hardening tests for the bubblewrap isolator, one per finding of THREAT-MODEL.md. Every probe
// runs INSIDE a real sandbox and reports what it could see or do; the host asserts the safe
// outcome (nothing readable, nothing written, nothing reachable, nothing left running).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../../src/sandbox/port.js';
import { Tracker, assertNoChildren, childrenOf, leftovers, request, ticksSinceBoot, sandboxConfig, waitFor } from './support.js';
import type { RequestOptions } from './support.js';

const isRoot = process.getuid?.() === 0;
const TMP_BYTES = sandboxConfig('bwrap').tmpBytes;

async function probe(sb: Sandbox, code: string, opts: RequestOptions = {}): Promise<Record<string, unknown>> {
  const outcome = await sb.run(request(code, opts));
  assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error ?? outcome.logs));
  return outcome.result as Record<string, unknown>;
}

async function withSandboxes(count: number, fn: (sandboxes: Sandbox[], tracker: Tracker) => Promise<void>): Promise<void> {
  const tracker = new Tracker('bwrap');
  try {
    const sandboxes = await Promise.all(Array.from({ length: count }, () => tracker.spawn()));
    await fn(sandboxes, tracker);
  } finally {
    await tracker.cleanup();
  }
}

function listen(server: Server, target: number | string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (typeof target === 'number') server.listen(target, '127.0.0.1', resolve);
    else server.listen(target, resolve);
  });
}

describe('bwrap hardening', () => {
  after(() => assertNoChildren());

  it('leaks no host environment: process.env, /proc/1/environ, /proc/*/environ', async () => {
    const canary = `canary-${randomBytes(8).toString('hex')}`;
    process.env.AIRLOCK_TEST_CANARY = canary;
    try {
      await withSandboxes(1, async ([sb]) => {
        const report = await probe(sb!, `import { readFileSync, readdirSync } from 'node:fs';
          export default async () => {
            const environs = {};
            for (const p of readdirSync('/proc').filter((e) => /^\\d+$/.test(e)).slice(0, 64)) {
              try { environs[p] = readFileSync('/proc/' + p + '/environ', 'latin1'); } catch (e) { environs[p] = e.code; }
            }
            return { env: { ...process.env }, environs };
          };`);
        const text = JSON.stringify(report);
        assert.ok(!text.includes(canary), 'canary not visible');
        for (const name of ['NODE_EXTRA_CA_CERTS', 'HOME', 'PATH', 'SSL_CERT_FILE']) assert.ok(!text.includes(name), name);
        assert.deepEqual(Object.keys(report.env as object).filter((k) => k !== 'PWD'), []);
        for (const environ of Object.values(report.environs as Record<string, string>)) {
          assert.ok(['', 'PWD=/tmp\0'].includes(environ), `environment ${JSON.stringify(environ)}`);
        }
      });
    } finally {
      delete process.env.AIRLOCK_TEST_CANARY;
    }
  });

  it('shows no host paths in /proc/1/cmdline, /proc/self/cmdline or mountinfo', async () => {
    await withSandboxes(1, async ([sb]) => {
      const report = await probe(sb!, `import { readFileSync } from 'node:fs';
        export default async () => ({
          init: readFileSync('/proc/1/cmdline', 'utf8').split('\\0').filter(Boolean),
          self: readFileSync('/proc/self/cmdline', 'utf8').split('\\0').filter(Boolean),
          mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'),
        });`);
      // The harness is pid 1 (--as-pid-1): its argv holds only sandbox paths.
      const harnessArgv = ['/usr/bin/node', '--max-old-space-size=64', '/airlock/harness.cjs', '/fn'];
      assert.deepEqual(report.init, harnessArgv);
      assert.deepEqual(report.self, harnessArgv);
      // bwrap itself (visible only from the host) got its options through --args.
      const bwrapArgv = readFileSync(`/proc/${sb!.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      assert.deepEqual(bwrapArgv.slice(1), ['--args', '4', '--', ...harnessArgv]);
      const mountinfo = report.mountinfo as string;
      const repo = fileURLToPath(new URL('../../..', import.meta.url));
      for (const secret of [repo, process.cwd(), '/work', '/root', '/home', '/etc', '/var', 'dist/']) {
        assert.ok(!mountinfo.includes(secret), `mountinfo mentions ${secret}`);
      }
      const mountPoints = mountinfo.trim().split('\n').map((line) => line.split(' ')[4]);
      for (const point of mountPoints) {
        assert.match(point ?? '', /^(\/|\/usr|\/proc|\/proc\/sys|\/dev(\/[\w]+)?|\/tmp|\/fn|\/airlock\/(harness\.cjs|fetch-client\.mjs|checkpoint-client\.mjs))$/, point);
      }
    });
  });

  it('runs as an unprivileged uid inside and on the host', async () => {
    await withSandboxes(1, async ([sb], tracker) => {
      const report = await probe(sb!, `import { readFileSync } from 'node:fs'; import { hostname } from 'node:os';
        export default async () => ({ uid: process.getuid(), gid: process.getgid(), hostname: hostname(),
          caps: readFileSync('/proc/self/status', 'utf8').split('\\n').filter((l) => /^Cap(Eff|Prm|Bnd|Amb)/.test(l)),
          noNewPrivs: /^NoNewPrivs:\\s+1$/m.test(readFileSync('/proc/self/status', 'utf8')) });`);
      assert.notEqual(report.uid, 0);
      if (isRoot) assert.equal(report.uid, 65534);
      assert.equal(report.hostname, 'sandbox');
      for (const line of report.caps as string[]) assert.match(line, /:\s+0+$/, line);
      assert.equal(report.noNewPrivs, true, 'setuid binaries cannot raise privileges');
      const fp = tracker.footprintOf(sb!);
      const inner = [fp.innerPid!, ...childrenOf(fp.innerPid!)];
      assert.ok(inner.length >= 1, 'the harness is found on the host');
      for (const pid of [fp.pgid, ...inner]) {
        const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
        assert.notEqual(uid, 0, `host uid of sandbox process ${pid}`);
        if (isRoot) assert.equal(uid, 65534);
      }
    });
  });

  it('cannot write /proc/sys, /, /usr, /etc, /dev, /fn or the harness', async () => {
    const hostProbe = `/usr/airlock-probe-${randomBytes(4).toString('hex')}`;
    const corePattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    await withSandboxes(1, async ([sb]) => {
      const report = await probe(sb!, `import { openSync, closeSync, mkdirSync, symlinkSync } from 'node:fs';
        export default async (input) => {
          const out = {};
          const tryOpen = (path, flags) => { try { closeSync(openSync(path, flags)); return 'OPENED'; } catch (e) { return e.code; } };
          out.corePattern = tryOpen('/proc/sys/kernel/core_pattern', 'r+');
          out.sysrq = tryOpen('/proc/sysrq-trigger', 'w');
          for (const p of ['/probe', input.hostProbe, '/etc/probe', '/dev/probe', '/airlock/probe', '/airlock/harness.cjs', '/fn/probe', '/fn/../probe']) out[p] = tryOpen(p, 'w');
          try { mkdirSync('/newdir'); out.mkdir = 'MADE'; } catch (e) { out.mkdir = e.code; }
          try { symlinkSync('/tmp', '/usr/link'); out.symlink = 'MADE'; } catch (e) { out.symlink = e.code; }
          return out;
        };`, { input: { hostProbe } });
      for (const [what, result] of Object.entries(report)) {
        assert.ok(['EROFS', 'EACCES', 'ENOENT', 'EPERM'].includes(result as string), `${what}: ${String(result)}`);
      }
      assert.equal(report['/fn/probe'], 'EROFS', '/fn, a mount of its own, is read-only too');
      assert.ok(['EROFS', 'EACCES'].includes(report.corePattern as string));
    });
    assert.equal(existsSync(hostProbe), false);
    assert.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8'), corePattern);
  });

  it('cannot read host secrets', async () => {
    await withSandboxes(1, async ([sb]) => {
      const report = await probe(sb!, `import { readFileSync } from 'node:fs';
        export default async (input) => {
          const out = {};
          for (const p of ['/etc/shadow', '/etc/passwd', '/root/.aws/credentials', input.cwd + '/package.json', '/sys/kernel']) {
            try { readFileSync(p); out[p] = 'READ'; } catch (e) { out[p] = e.code; }
          }
          return out;
        };`, { input: { cwd: process.cwd() } });
      for (const [path, result] of Object.entries(report)) assert.equal(result, 'ENOENT', path);
    });
  });

  for (const dir of ['/tmp', '/dev/shm']) {
    it(`fills ${dir} only up to its size limit (ENOSPC)`, async () => {
      await withSandboxes(1, async ([sb]) => {
        const report = await probe(sb!, `import { openSync, writeSync, closeSync } from 'node:fs';
          export default async (input) => {
            const chunk = Buffer.alloc(256 * 1024, 1);
            let written = 0, error = null;
            const fd = openSync(input.dir + '/fill', 'w');
            try {
              for (let i = 0; i < 64; i++) written += writeSync(fd, chunk);
            } catch (e) { error = e.code; } finally { closeSync(fd); }
            return { written, error };
          };`, { input: { dir } });
        assert.equal(report.error, 'ENOSPC');
        assert.ok((report.written as number) <= TMP_BYTES, `${String(report.written)} bytes written`);
      });
    });
  }

  it('has no network: host loopback, abstract sockets and the internet are unreachable', async () => {
    let accepted = 0;
    const tcp = createServer((s) => (accepted++, s.destroy()));
    const abstract = createServer((s) => (accepted++, s.destroy()));
    const abstractName = `\0airlock-test-${randomBytes(6).toString('hex')}`;
    await listen(tcp, 0);
    await listen(abstract, abstractName);
    try {
      const port = (tcp.address() as { port: number }).port;
      await withSandboxes(1, async ([sb]) => {
        const report = await probe(sb!, `import { connect } from 'node:net'; import { networkInterfaces } from 'node:os';
          const attempt = (opts) => new Promise((resolve) => {
            const s = connect(opts);
            const t = setTimeout(() => (s.destroy(), resolve('TIMEOUT')), 3000);
            s.on('connect', () => (clearTimeout(t), s.destroy(), resolve('CONNECTED')));
            s.on('error', (e) => (clearTimeout(t), resolve(e.code)));
          });
          export default async (input) => ({
            loopback: await attempt({ host: '127.0.0.1', port: input.port }),
            abstract: await attempt({ path: input.abstractName }),
            internet: await attempt({ host: '1.1.1.1', port: 80 }),
            metadata: await attempt({ host: '169.254.169.254', port: 80 }),
            // The seccomp allowlist refuses netlink sockets, so listing interfaces fails with EPERM.
            interfaces: (() => { try { return Object.keys(networkInterfaces()); } catch (e) { return String(e.message); } })(),
          });`, { input: { port, abstractName } });
        assert.ok(['ECONNREFUSED', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(report.loopback as string), String(report.loopback));
        assert.ok(['ECONNREFUSED', 'ENOENT'].includes(report.abstract as string), String(report.abstract));
        assert.equal(report.internet, 'ENETUNREACH');
        assert.equal(report.metadata, 'ENETUNREACH');
        if (typeof report.interfaces === 'string') assert.match(report.interfaces, /uv_interface_addresses returned .*error 1\b/);
        else assert.deepEqual((report.interfaces as string[]).filter((i) => i !== 'lo'), []);
      });
      assert.equal(accepted, 0, 'no connection reached the host');
    } finally {
      tcp.close();
      abstract.close();
    }
  });

  it('keeps two concurrent sandboxes apart: files, /dev/shm, processes', async () => {
    await withSandboxes(2, async ([a, b]) => {
      const wrote = await probe(a!, `import { writeFileSync } from 'node:fs';
        export default async () => { writeFileSync('/tmp/secret-a', 'a'); writeFileSync('/dev/shm/secret-a', 'a'); return { pid: process.pid }; };`);
      assert.ok(typeof wrote.pid === 'number');
      const seen = await probe(b!, `import { readdirSync, readFileSync } from 'node:fs';
        export default async (input) => {
          const pids = readdirSync('/proc').filter((e) => /^\\d+$/.test(e)).map(Number);
          let signalA;
          try { process.kill(input.hostPidOfA, 0); signalA = 'SENT'; } catch (e) { signalA = e.code; }
          return { tmp: readdirSync('/tmp'), shm: readdirSync('/dev/shm'), pids, self: process.pid, signalA };
        };`, { input: { hostPidOfA: a!.pid } });
      assert.deepEqual(seen.tmp, []);
      assert.deepEqual(seen.shm, []);
      assert.deepEqual(seen.pids, [1], 'B sees only itself');
      assert.equal(seen.self, 1);
      assert.equal(seen.signalA, 'ESRCH');
    });
  });

  it('starts every sandbox with an empty /tmp, even for the same tenant', async () => {
    await withSandboxes(1, async ([first]) => {
      await probe(first!, `import { writeFileSync } from 'node:fs'; export default async () => { writeFileSync('/tmp/left-over', 'x'); return 1; };`);
    });
    await withSandboxes(1, async ([fresh]) => {
      const seen = await probe(fresh!, `import { readdirSync } from 'node:fs'; export default async () => ({ tmp: readdirSync('/tmp') });`);
      assert.deepEqual(seen.tmp, []);
    });
  });

  it('kills detached children when the sandbox is destroyed', async () => {
    const tracker = new Tracker('bwrap');
    try {
      const sb = await tracker.spawn();
      const report = await probe(sb, `import { spawn } from 'node:child_process';
        export default async () => {
          const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
          child.unref();
          return { pid: child.pid };
        };`);
      assert.ok(typeof report.pid === 'number');
      const fp = tracker.footprintOf(sb);
      await waitFor('the daemon to show up on the host', () => leftovers(fp).length >= 3);
      const destroyedAt = ticksSinceBoot();
      await sb.destroy();
      assert.deepEqual(leftovers(fp, destroyedAt), [], 'nothing of the sandbox survives destroy()');
    } finally {
      await tracker.cleanup();
    }
  });

  it('contains kill(-1) inside the sandbox', async () => {
    const canary = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
      env: {},
      ...(isRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    try {
      await withSandboxes(1, async ([sb]) => {
        const outcome = await sb!.run(request(`export default async () => { try { process.kill(-1, 'SIGKILL'); } catch (e) { return e.code; } return 'sent'; };`));
        assert.notEqual(outcome.status, 'timeout');
      });
      assert.equal(canary.exitCode, null);
      assert.equal(canary.signalCode, null);
      process.kill(canary.pid!, 0);
    } finally {
      canary.kill('SIGKILL');
      await new Promise((resolve) => (canary.exitCode !== null || canary.signalCode !== null ? resolve(null) : canary.once('exit', resolve)));
    }
  });

  it('does not pass inherited host file descriptors into the sandbox', async () => {
    // A server started by a careless parent holds an fd without close-on-exec (here fd 200, a
    // socket, made by bash); the sandbox must not inherit it.
    const index = new URL('../../src/sandbox/index.js', import.meta.url).href;
    const script = `
      import { readlinkSync } from 'node:fs';
      import { createIsolator } from ${JSON.stringify(index)};
      const leaked = readlinkSync('/proc/self/fd/200');
      const iso = createIsolator(${JSON.stringify(sandboxConfig('bwrap'))});
      const sb = await iso.spawn({ memoryMiB: 64 });
      const code = "import { readdirSync, readlinkSync } from 'node:fs'; export default async () => readdirSync('/proc/self/fd').map((f) => { try { return readlinkSync('/proc/self/fd/' + f); } catch { return ''; } });";
      const out = await sb.run({ executionId: 'ex_fd', tenant: 't', functionName: 'f', version: 'v1', code, inputJson: 'null', timeoutMs: 10000, resultBytes: 65536, logBytes: 1024 });
      await sb.destroy();
      process.stdout.write(JSON.stringify({ leaked, fds: out.result }));
    `;
    const child = spawn('bash', ['-c', 'exec "$0" --input-type=module -e "$1" 200<&0', process.execPath, script], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    child.stdin!.destroy();
    assert.equal(code, 0);
    const { leaked, fds } = JSON.parse(stdout) as { leaked: string; fds: string[] };
    assert.match(leaked, /^(socket|pipe):\[\d+\]$/);
    assert.ok(!fds.includes(leaked), `sandbox fds ${JSON.stringify(fds)} include the host's ${leaked}`);
  });
});
