// The bubblewrap isolator: each sandbox is a bwrap process with every namespace unshared, an
// empty environment, arguments passed on a pipe (`--args`), the harness (or, for a deploy's
// parse check, runtime/parse-check.cts: parseModule) copied in from a pipe,
// and, when the server runs as root, an unprivileged host uid. The process is spawned detached
// (its own process group) so the whole group can be SIGKILLed; killing the namespace's pid 1
// takes every process inside with it, which destroy() waits for before resolving. The seccomp
// allowlist (src/sandbox/seccomp) goes in on one more pipe unless AIRLOCK_SECCOMP=off.
import { readFileSync, realpathSync } from 'node:fs';
import type { SandboxConfig } from '../../core/config.js';
import { AirlockError } from '../../core/errors.js';
import type { SecurityLayer } from '../../core/types.js';
import { memoryCeilingMiB } from '../cgroup/index.js';
import type { SandboxCgroup, SandboxCgroupPolicy } from '../cgroup/index.js';
import { ChannelSandbox } from '../channel.js';
import { resolveExecutable } from '../executables.js';
import { BACKGROUND_NICE, canPromote, promoteProcess } from '../priority.js';
import { LaunchingIsolator } from '../launch/launching-isolator.js';
import type { LaunchingIsolatorOptions } from '../launch/launching-isolator.js';
import type { LaunchedProcess, Launcher } from '../launch/types.js';
import { PARSE_CHECK_NODE_FLAGS, parseCheckUrl, runParseCheck } from '../parse-check.js';
import type { Isolator, IsolatorCheck, ModuleParseError, ModuleParseRequest, Sandbox, SpawnOptions } from '../port.js';
import { checkSandboxNode } from '../sandbox-node.js';
import { buildBwrapArgs, encodeArgs } from './args.js';
import { describeCheckFailure } from './check-failure.js';
import type { SandboxProgram } from './args.js';
import { processRunning, processStartTime, waitForProcessGone } from '../procfs.js';
import { hostFilter } from '../seccomp/index.js';

const ARGS_FD = 4;
const PROGRAM_FD = 5;
const INFO_FD = 6;
const SECCOMP_FD = 7;
const FETCH_CLIENT_FD = 8;
const CHECKPOINT_CLIENT_FD = 9;
const INSTALL_HINT =
  'install bubblewrap: apt-get install -y bubblewrap (Debian/Ubuntu) or dnf install bubblewrap (Fedora/RHEL), ' +
  'or set AIRLOCK_BWRAP to its path';

export interface BwrapIsolatorOptions extends LaunchingIsolatorOptions {
  /** Size of the code dir tmpfs, bytes (default: config.tmpBytes). */
  codeBytes?: number;
  /** Node architecture name the seccomp filter is compiled for (default: process.arch). */
  arch?: string;
  /** When set, every sandbox is placed in its own cgroup before `hello` (fail closed). */
  cgroups?: SandboxCgroupPolicy;
}

const harnessUrl = new URL('../../runtime/harness.cjs', import.meta.url);
const fetchClientUrl = new URL('../../runtime/fetch-client.mjs', import.meta.url);
const checkpointClientUrl = new URL('../../runtime/checkpoint-client.mjs', import.meta.url);

/** A started bwrap process, before it is a pool sandbox or a parse check. */
interface BwrapProcess {
  child: LaunchedProcess;
  layers: SecurityLayer[];
  /** The namespace's pid 1, once bwrap reported it. */
  init(): { pid: number; start: number } | undefined;
  /** The sandbox's cgroup, once placed. */
  group(): SandboxCgroup | undefined;
  /** Puts the processes in their cgroup (a no-op without cgroups); rejects with an AirlockError. */
  place(): Promise<void>;
  terminate(): boolean;
  afterExit(): Promise<void>;
}

/** The namespace pid 1's host pid, from bwrap's --info-fd JSON. */
function parseChildPid(text: string): number | undefined {
  try {
    const pid = (JSON.parse(text) as { 'child-pid'?: unknown })['child-pid'];
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class BwrapIsolator extends LaunchingIsolator<BwrapIsolatorOptions> implements Isolator {
  readonly name = 'bwrap' as const;
  readonly isolation = 'bwrap';
  private harness: Buffer | undefined;
  /** The compiled seccomp filter (host arch), or null when AIRLOCK_SECCOMP=off. */
  private seccomp: Buffer | null | undefined;
  private fetchClient: Buffer | undefined;
  private parseCheck: Buffer | undefined;
  private checkpointClient: Buffer | undefined;
  /** Resolved once found (see bwrapBinary, niceBinary); null: no `nice` on PATH. */
  private bwrapPath: string | undefined;
  private nicePath: string | null | undefined;

  constructor(config: SandboxConfig, options: BwrapIsolatorOptions = {}) {
    super(config, options);
  }

  async check(): Promise<IsolatorCheck> {
    this.bwrapBinary();
    this.seccompFilter();
    checkSandboxNode(this.config);
    return this.bootTestSandbox(
      (launcher) => this.start({ memoryMiB: 64 }, launcher),
      (err) => describeCheckFailure(err, this.config),
    );
  }

  spawn(opts: SpawnOptions): Promise<Sandbox> {
    return this.start(opts, this.launcher);
  }

  /** A check sandbox: the same walls as any sandbox, running runtime/parse-check.cts, for one parse. */
  async parseModule(req: ModuleParseRequest): Promise<ModuleParseError | undefined> {
    let started: BwrapProcess;
    try {
      started = await this.launch({ kind: 'parse-check', nodeFlags: PARSE_CHECK_NODE_FLAGS }, req.memoryMiB, this.launcher, {
        tenant: req.tenant,
      });
    } catch (err) {
      throw new AirlockError(
        'SYNTAX_CHECK_FAILED',
        `the deploy-time syntax check could not start its sandbox (${err instanceof Error ? err.message : String(err)}); ` +
          'the function was not deployed. Run `airlock doctor` to see what the isolation is missing',
      );
    }
    return runParseCheck(
      { child: started.child, layers: started.layers, beforeSend: started.place, terminate: started.terminate, afterExit: started.afterExit },
      req,
    );
  }

  private async start(opts: SpawnOptions, launcher: Launcher): Promise<Sandbox> {
    const nicePath = opts.background === true && canPromote() ? this.niceBinary() : undefined;
    const started = await this.launch({ kind: 'harness' }, opts.memoryMiB, launcher, {
      ...(nicePath === undefined ? {} : { nicePath }),
      ...(opts.tenant === undefined ? {} : { tenant: opts.tenant }),
    });
    const { child } = started;
    const cgroups = this.options.cgroups;
    return ChannelSandbox.start({
      child,
      layers: started.layers,
      // OOM is what the cgroup's own counter says, or V8's message backed by the cgroup's peak
      // memory use. Without a cgroup there is no signal the sandbox cannot forge (V8's message is
      // plain stderr), so a crash is never called oom.
      oomKilled: () => started.group()?.oomKilled() ?? false,
      memoryPeakBytes: () => started.group()?.memoryPeakBytes(),
      cpuUsageNs: () => started.group()?.cpuUsageNs(),
      ...(cgroups === undefined ? {} : { memoryCeilingBytes: memoryCeilingMiB(opts.memoryMiB) * 1024 * 1024 }),
      ...(cgroups === undefined
        ? {}
        : { beforeHello: started.place, bindTenant: (tenant: string) => started.group()?.bindTenant(tenant) }),
      memoryMiB: opts.memoryMiB,
      ...this.channelSettings(opts),
      ...(nicePath === undefined
        ? {}
        : {
            promote: () => {
              const init = started.init();
              if (child.pid !== undefined) promoteProcess(child.pid);
              if (init !== undefined) promoteProcess(init.pid);
            },
          }),
      terminate: started.terminate,
      afterExit: started.afterExit,
    });
  }

  /** Starts bwrap around `program`; the caller runs `place` before the program gets anything to run. */
  private async launch(
    program: SandboxProgram,
    memoryMiB: number,
    launcher: Launcher,
    extra: { nicePath?: string; tenant?: string },
  ): Promise<BwrapProcess> {
    const bwrap = this.bwrapBinary();
    const ids = this.hostIds();
    const seccomp = this.seccompFilter();
    const cgroups = this.options.cgroups;
    const ceilingMiB = cgroups === undefined ? undefined : memoryCeilingMiB(memoryMiB);
    const harness = program.kind === 'harness';
    const { args, command } = buildBwrapArgs({
      program,
      nodePath: realpathSync(this.config.nodePath),
      // With a cgroup, the heap flag is the ceiling itself so the kernel's OOM kill comes first.
      memoryMiB: ceilingMiB ?? memoryMiB,
      tmpBytes: this.config.tmpBytes,
      codeBytes: this.options.codeBytes ?? this.config.tmpBytes,
      programFd: PROGRAM_FD,
      ...(harness ? { fetchClientFd: FETCH_CLIENT_FD, checkpointClientFd: CHECKPOINT_CLIENT_FD } : {}),
      infoFd: INFO_FD,
      ...(seccomp === null ? {} : { seccompFds: [SECCOMP_FD] }),
    });
    const child = await launcher.launch({
      ...(extra.nicePath === undefined ? {} : { nice: { value: BACKGROUND_NICE, nicePath: extra.nicePath } }),
      file: bwrap,
      args: ['--args', String(ARGS_FD), '--', ...command],
      cwd: '/',
      ...ids,
      pipes: (harness ? CHECKPOINT_CLIENT_FD : SECCOMP_FD) + 1,
      inputs: [
        { fd: ARGS_FD, data: encodeArgs(args) },
        // The same Buffers on every launch: the spawner process receives each of them once.
        { fd: PROGRAM_FD, data: harness ? this.harnessSource() : (this.parseCheck ??= readFileSync(parseCheckUrl)), reused: true },
        ...(seccomp === null ? [] : [{ fd: SECCOMP_FD, data: seccomp, reused: true }]),
        ...(harness
          ? [
              { fd: FETCH_CLIENT_FD, data: (this.fetchClient ??= readFileSync(fetchClientUrl)), reused: true },
              { fd: CHECKPOINT_CLIENT_FD, data: (this.checkpointClient ??= readFileSync(checkpointClientUrl)), reused: true },
            ]
          : []),
      ],
      collect: [INFO_FD],
    });
    // The namespace's pid 1 (the program itself, --as-pid-1), as (host pid, start time).
    let init: { pid: number; start: number } | undefined;
    const info = child.collected(INFO_FD).then((text) => {
      const pid = parseChildPid(text);
      const start = pid === undefined ? undefined : processStartTime(pid);
      if (pid !== undefined && start !== undefined) init = { pid, start };
    });
    let group: SandboxCgroup | undefined;
    let placing: Promise<void> | undefined;
    return {
      child,
      // bwrap always unshares every namespace. The host uid is unprivileged only when the server
      // is root and hostIds() mapped the sandbox to AIRLOCK_SANDBOX_UID: a server that is not root
      // runs its sandboxes as its own uid, the owner of the data dir's keys and database. bwrap
      // loads the seccomp filter before it execs the program, or fails to start the sandbox at all.
      // 'cgroups' only when placed: a failed placement fails the start and the sandbox dies.
      layers: [
        'namespaces',
        ...(ids.uid === undefined ? [] : (['unprivileged-uid'] as const)),
        ...(seccomp === null ? [] : (['seccomp'] as const)),
        ...(cgroups === undefined ? [] : (['cgroups'] as const)),
      ],
      init: () => init,
      group: () => group,
      place: () => {
        placing = (async () => {
          await info;
          if (cgroups === undefined || ceilingMiB === undefined) return;
          if (child.pid === undefined || init === undefined) throw new Error('bwrap reported no sandbox pid to place in a cgroup');
          const limits = { memoryBytes: ceilingMiB * 1024 * 1024, pids: cgroups.pids, cpus: cgroups.cpus };
          // Both the outer bwrap and the namespace's pid 1; everything they fork inherits the group.
          try {
            group = await cgroups.manager.place([child.pid, init.pid], limits, extra.tenant);
          } catch (err) {
            // Exited meanwhile (e.g. a program that is not Node): its exit fails the boot, and
            // what it printed says why; a placement error about its gone pids would only blur that.
            if (!processRunning(init.pid, init.start)) return;
            throw err;
          }
        })();
        return placing;
      },
      // SIGKILL the namespace's pid 1: the kernel kills everything in the pid namespace, and the
      // outer bwrap reaps it and exits. Killing the outer bwrap first would orphan pid 1 to the
      // host's pid 1, which may never reap it (a zombie per sandbox, e.g. node as pid 1 in Docker).
      terminate: () => {
        if (init === undefined || !processRunning(init.pid, init.start)) return false;
        process.kill(init.pid, 'SIGKILL');
        return true;
      },
      // Done only once pid 1 (hence the whole namespace) is gone.
      afterExit: async () => {
        await info;
        if (init !== undefined) await waitForProcessGone(init.pid, init.start, 5_000);
        // A program that exits during boot may be gone before its placement is done: the group
        // that placement creates is removed too (a failed placement removes its own).
        await placing?.catch(() => undefined);
        await group?.remove();
      },
    };
  }

  /** `nice`, looked up on PATH once (a lookup is a stat per PATH entry, on every refill otherwise). */
  private niceBinary(): string | undefined {
    if (this.nicePath === undefined) this.nicePath = resolveExecutable('nice') ?? null;
    return this.nicePath ?? undefined;
  }

  private bwrapBinary(): string {
    if (this.bwrapPath !== undefined) return this.bwrapPath;
    const found = resolveExecutable(this.config.bwrapPath);
    if (found === undefined) {
      throw new AirlockError('ISOLATION_UNAVAILABLE', `bubblewrap (${this.config.bwrapPath}) was not found; ${INSTALL_HINT}`);
    }
    this.bwrapPath = found;
    return found;
  }

  /** Run as root, the sandbox must start as an unprivileged host uid (else it maps to host root). */
  private hostIds(): { uid?: number; gid?: number } {
    if (process.getuid?.() !== 0) return {};
    if (this.config.uid === 0 || this.config.gid === 0) {
      throw new AirlockError(
        'ISOLATION_UNAVAILABLE',
        'refusing to start sandboxes as host uid/gid 0; set AIRLOCK_SANDBOX_UID/GID to an unprivileged id (default 65534)',
      );
    }
    return { uid: this.config.uid, gid: this.config.gid };
  }

  /** Compiled once per isolator; throws ISOLATION_UNAVAILABLE on an architecture without a filter. */
  private seccompFilter(): Buffer | null {
    if (this.seccomp === undefined) {
      this.seccomp = this.config.seccomp.mode === 'off' ? null : hostFilter(this.options.arch).bytes;
    }
    return this.seccomp;
  }

  private harnessSource(): Buffer {
    this.harness ??= readFileSync(harnessUrl);
    return this.harness;
  }
}
