// The deploy-time V8 parse runs in a sandbox of its own (Isolator.parseModule, runtime/parse-check.cts),
// never in the server: observed from /proc while the real check sandbox waits for its module (uid,
// namespaces, seccomp, cgroup and its memory ceiling), gone before the verdict is returned, and
// fail closed: no bwrap, a bwrap that does not start, a check that hangs, a malformed or oversized
// answer are SYNTAX_CHECK_FAILED and the deploy stores nothing.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAirlockError } from '../../src/core/errors.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_LIMITS } from '../../src/core/limits.js';
import { requireLayers } from '../../src/sandbox/attestation/index.js';
import { BwrapIsolator } from '../../src/sandbox/bwrap/isolator.js';
import { ProcessIsolator } from '../../src/sandbox/process/isolator.js';
import { processRunning, processStartTime } from '../../src/sandbox/procfs.js';
import { createPolicy } from '../../src/sandbox/cgroup/index.js';
import { DirectLauncher } from '../../src/sandbox/launch/direct.js';
import type { LaunchedProcess, LaunchRequest, Launcher } from '../../src/sandbox/launch/types.js';
import { readAnswer } from '../../src/sandbox/parse-check.js';
import type { Isolator, ModuleParseRequest } from '../../src/sandbox/port.js';
import { FunctionService } from '../../src/services/functions.js';
import { sandboxedParser } from '../../src/services/node-parse.js';
import { tempSqlite } from '../store/temp-sqlite.js';
import { cgroupConfig, groupOf, skipReason, v1GroupDir } from './cgroup/support.js';
import { createCgroupManager } from '../../src/sandbox/cgroup/index.js';
import { assertNoChildren, childrenOf, makeIsolator, sandboxConfig, waitFor } from './support.js';

interface Observed {
  outer: number;
  inner: number;
  status: string;
  cmdline: string;
  ns: Record<string, string>;
  cgroup?: { memory: string; limitBytes: number };
}

const NAMESPACES = ['user', 'pid', 'net', 'mnt', 'ipc', 'uts'];

/**
 * Launches for real (bwrap forks from this process) and, before handing the process over (the
 * module is sent only after that), looks at the program bwrap started, from /proc. `hold` then
 * runs on it (e.g. SIGSTOP, for a check that never answers).
 */
class WatchingLauncher implements Launcher {
  readonly seen: Observed[] = [];
  private readonly inner = new DirectLauncher();
  private readonly options: { hold?: (pid: number) => void };
  constructor(options: { hold?: (pid: number) => void } = {}) {
    this.options = options;
  }

  async launch(req: LaunchRequest): Promise<LaunchedProcess> {
    const child = await this.inner.launch(req);
    const outer = child.pid!;
    let inner: number | undefined;
    await waitFor('the check program to start in the sandbox', () => {
      inner = childrenOf(outer)[0];
      if (inner === undefined) return false;
      // Until it execs, bwrap's child still carries bwrap's argv (which names the program too).
      const argv = readFileSync(`/proc/${inner}/cmdline`, 'utf8').split('\0');
      return !/bwrap$/.test(argv[0] ?? '') && argv.includes('/airlock/parse-check.cjs');
    });
    const pid = inner!;
    const observed: Observed = {
      outer,
      inner: pid,
      status: readFileSync(`/proc/${pid}/status`, 'utf8'),
      cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim(),
      ns: Object.fromEntries(NAMESPACES.map((n) => [n, readlinkSync(`/proc/${pid}/ns/${n}`)])),
    };
    this.seen.push(observed);
    this.options.hold?.(pid);
    return child;
  }

  async close(): Promise<void> {}
}

function field(status: string, name: string): string {
  return new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(status)?.[1] ?? '';
}

const REDECLARED = 'const x = 1; const x = 2;\nexport default () => x;\n';

function request(code: string, extra: Partial<ModuleParseRequest> = {}): ModuleParseRequest {
  return { code, tenant: 'acme', memoryMiB: 64, timeoutMs: 10_000, ...extra };
}

async function rejectsClosed(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isAirlockError(err), String(err));
    assert.equal(err.code, 'SYNTAX_CHECK_FAILED');
    assert.equal(err.status, 500);
    assert.match(err.message, message);
    assert.match(err.message, /the function was not deployed/);
    return true;
  });
}

describe('the deploy-time parse runs in a sandbox', () => {
  after(() => assertNoChildren());

  it('in a bwrap sandbox of its own per module: unprivileged uid, every namespace, seccomp; gone before the verdict', async () => {
    const launcher = new WatchingLauncher();
    const isolator = new BwrapIsolator(sandboxConfig('bwrap'), { launcher });
    const verdict = await isolator.parseModule(request(REDECLARED));
    assert.equal(verdict?.name, 'SyntaxError');
    assert.match(verdict?.message ?? '', /Identifier 'x' has already been declared/);
    assert.match(verdict?.stack ?? '', /^function\.js:1\n\n {19}\^/);
    assert.equal(await isolator.parseModule(request('export default () => 1;\n', { tenant: 'beta' })), undefined);

    assert.equal(launcher.seen.length, 2, 'one sandbox per module');
    const [first, second] = launcher.seen as [Observed, Observed];
    for (const seen of [first, second]) {
      assert.match(seen.cmdline, /--experimental-vm-modules .*\/airlock\/parse-check\.cjs$/);
      if (process.getuid?.() === 0) assert.match(field(seen.status, 'Uid'), /^65534\s/, 'an unprivileged host uid');
      assert.equal(field(seen.status, 'Seccomp'), '2', 'a seccomp filter');
      assert.equal(field(seen.status, 'CapEff'), '0000000000000000', 'no capabilities');
      for (const ns of NAMESPACES) assert.notEqual(seen.ns[ns], readlinkSync(`/proc/self/ns/${ns}`), `its own ${ns} namespace`);
      assert.equal(processRunning(seen.inner, undefined), false, 'the check program is gone');
      assert.equal(processRunning(seen.outer, undefined), false, 'bwrap is gone');
    }
    // (Namespace inode numbers are reused once a namespace is gone; host pids are handed out in turn.)
    assert.notEqual(first.outer, second.outer, 'the second module got a new sandbox');
  });

  it('with cgroups, in a group under the deploying tenant with the memory ceiling, removed afterwards', { skip: skipReason(true) }, async () => {
    const config = cgroupConfig();
    const manager = createCgroupManager(config)!;
    let seen: Observed['cgroup'];
    const launcher = new WatchingLauncher();
    const isolator = new BwrapIsolator(sandboxConfig('bwrap'), { launcher, cgroups: createPolicy(config, manager) });
    // The module is sent once the sandbox is in its group: look then, from the placement's side.
    const placed = manager.place.bind(manager);
    manager.place = async (pids, limits, tenant) => {
      const group = await placed(pids, limits, tenant);
      const inner = pids[1]!;
      seen = { memory: groupOf(inner, 'memory') ?? '', limitBytes: Number(readFileSync(join(v1GroupDir(inner, 'memory'), 'memory.limit_in_bytes'), 'utf8')) };
      return group;
    };
    try {
      const verdict = await isolator.parseModule(request(REDECLARED, { memoryMiB: 64 }));
      assert.equal(verdict?.name, 'SyntaxError');
      assert.ok(seen !== undefined, 'the check sandbox was placed in a cgroup');
      assert.match(seen.memory, new RegExp(`/${config.root}/acme/sb-`));
      assert.equal(seen.limitBytes, (64 + 64) * 1024 * 1024, 'heap plus Node overhead, like any sandbox');
      for (const root of manager.describe().split(', ')) assert.equal(existsSync(join(root, 'acme')), false, 'its group is gone');
    } finally {
      await isolator.close();
      await manager.close();
    }
  });

  it('fails closed when bubblewrap is missing or does not start, and the deploy stores nothing', async () => {
    const t = await tempSqlite();
    try {
      for (const [bwrapPath, why] of [
        ['/nonexistent/bwrap', /bubblewrap \(\/nonexistent\/bwrap\) was not found/],
        ['/bin/false', /exited without an answer \(exit code 1\)/],
      ] as const) {
        const svc = new FunctionService(
          t.store,
          { maxSourceBytes: 256 * 1024, maxBundleBytes: 5 * 1024 * 1024, defaultLimits: DEFAULT_LIMITS, maxLimits: DEFAULT_MAX_LIMITS },
          sandboxedParser(makeIsolator('bwrap', { bwrapPath })),
        );
        await rejectsClosed(svc.deploy('acme', 'f', { code: 'export default () => 1;\n' }), why);
        await rejectsClosed(svc.deploy('acme', 'f', { code: REDECLARED, runtime: 'javascript' }), why);
        assert.deepEqual(await svc.list('acme'), [], 'nothing was deployed unchecked');
      }
    } finally {
      await t.cleanup();
    }
  });

  it('a check that does not answer in time is killed, and fails closed', async () => {
    let stopped: { pid: number; start: number | undefined } | undefined;
    const launcher = new WatchingLauncher({
      hold: (pid) => {
        stopped = { pid, start: processStartTime(pid) };
        process.kill(pid, 'SIGSTOP');
      },
    });
    const isolator = new BwrapIsolator(sandboxConfig('bwrap'), { launcher });
    await rejectsClosed(isolator.parseModule(request(REDECLARED, { timeoutMs: 300 })), /no answer within 300 ms/);
    assert.ok(stopped);
    assert.equal(processRunning(stopped.pid, stopped.start), false, 'the stopped check program was killed');
  });
});

describe('the check sandbox, held to the required layers and to a few at once', () => {
  after(() => assertNoChildren());

  it('a check sandbox without a required layer is never sent the module', async () => {
    const guarded = requireLayers(makeIsolator('process'), ['namespaces']);
    await rejectsClosed(guarded.parseModule(request(REDECLARED)), /without required isolation layer\(s\) namespaces/);
  });

  it('the process isolator (development only) parses in a plain child process', async () => {
    const verdict = await makeIsolator('process').parseModule(request(REDECLARED));
    assert.equal(verdict?.name, 'SyntaxError');
    assert.match(verdict?.stack ?? '', /^function\.js:1\n/);
  });

  it('a burst of deploys runs at most two check sandboxes at once, each with its own verdict', async () => {
    let alive = 0;
    let most = 0;
    const direct = new DirectLauncher();
    const counting: Launcher = {
      async launch(req) {
        const child = await direct.launch(req);
        most = Math.max(most, ++alive);
        child.once('exit', () => alive--);
        return child;
      },
      close: () => direct.close(),
    };
    const parse = sandboxedParser(new ProcessIsolator(sandboxConfig('process'), { launcher: counting }));
    const verdicts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => parse(i % 2 === 0 ? `export default () => ${i};` : `let a${i}; let a${i};`, `t${i}`)),
    );
    verdicts.forEach((v, i) => assert.equal(v?.name, i % 2 === 0 ? undefined : 'SyntaxError', String(i)));
    assert.equal(most, 2);
  });
});

describe('the check sandbox is hostile: its answer is capped and validated', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-parse-check-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A process isolator whose "node" is a script that reads the module's length, then runs `script` (no isolation needed). */
  function answering(name: string, script: string): Isolator {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\nhead -c 4 <&3 >/dev/null\n${script}\n`);
    chmodSync(path, 0o755);
    return makeIsolator('process', { nodePath: path });
  }

  it('an oversized, a malformed or a forged answer fails closed', async () => {
    const cases: [string, string, RegExp][] = [
      ['flood', 'head -c 100000 /dev/zero >&3', /answer is over 8192 bytes/],
      ['long-line', `printf '{"ok":true%09000d}\\n' 0 >&3`, /answer is over 8192 bytes/],
      ['not-json', `printf 'hello\\n' >&3`, /not JSON/],
      ['extra', `printf '{"ok":true,"also":1}\\n' >&3`, /unexpected fields/],
      ['other-error', `printf '{"error":{"name":"TypeError","message":"m","stack":""}}\\n' >&3`, /not a SyntaxError or RangeError/],
      ['silent', 'exit 0', /exited without an answer \(exit code 0\)/],
    ];
    for (const [name, script, why] of cases) {
      await rejectsClosed(answering(name, script).parseModule(request('export default () => 1;\n')), why).catch((err: unknown) => {
        throw new Error(`${name}: ${String(err)}`);
      });
    }
  });

  it('readAnswer accepts only the two verdict shapes, within the caps', () => {
    assert.deepEqual(readAnswer('{"ok":true}'), { error: undefined });
    const error = { name: 'SyntaxError', message: 'Unexpected token', stack: 'function.js:1\n\n ^\n' };
    assert.deepEqual(readAnswer(JSON.stringify({ error })), { error });
    for (const bad of [
      '{"ok":false}',
      '[]',
      'null',
      JSON.stringify({ error: { ...error, extra: 1 } }),
      JSON.stringify({ error: { ...error, message: 'm'.repeat(2000) } }),
      JSON.stringify({ error: { ...error, stack: 7 } }),
      JSON.stringify({ error, ok: true }),
      '{"__proto__":{"ok":true}}',
    ]) {
      assert.ok('invalid' in readAnswer(bad), bad);
    }
  });
});
