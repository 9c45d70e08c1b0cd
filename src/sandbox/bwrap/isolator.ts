// The bubblewrap isolator: each sandbox is a bwrap process with every namespace unshared, an
// empty environment, arguments passed on a pipe (`--args`), the harness copied in from a pipe,
// and, when the server runs as root, an unprivileged host uid. The process is spawned detached
// (its own process group) so the whole group can be SIGKILLed; killing the namespace's pid 1
// takes every process inside with it, which destroy() waits for before resolving. The seccomp
// allowlist (src/sandbox/seccomp) goes in on one more pipe unless AIRLOCK_SECCOMP=off.
import { readFileSync, realpathSync } from 'node:fs';
import type { SandboxConfig } from '../../core/config.js';
import { AirlockError } from '../../core/errors.js';
import { memoryCeilingMiB } from '../cgroup/index.js';
import type { SandboxCgroup, SandboxCgroupPolicy } from '../cgroup/index.js';
import { ChannelSandbox } from '../channel.js';
import { resolveExecutable } from '../executables.js';
import { BACKGROUND_NICE, canPromote, promoteProcess } from '../priority.js';
import { DirectLauncher } from '../launch/direct.js';
import { LaunchingIsolator } from '../launch/launching-isolator.js';
import type { LaunchingIsolatorOptions } from '../launch/launching-isolator.js';
import type { Launcher } from '../launch/types.js';
import type { Isolator, IsolatorCheck, Sandbox, SpawnOptions } from '../port.js';
import { buildBwrapArgs, encodeArgs } from './args.js';
import { processRunning, processStartTime, waitForProcessGone } from './procfs.js';
import { hostFilter } from '../seccomp/index.js';

const ARGS_FD = 4;
const HARNESS_FD = 5;
const INFO_FD = 6;
const SECCOMP_FD = 7;
const FETCH_CLIENT_FD = 8;
const CHECKPOINT_CLIENT_FD = 9;
const INSTALL_HINT =
  'install bubblewrap: apt-get install -y bubblewrap (Debian/Ubuntu) or dnf install bubblewrap (Fedora/RHEL), ' +
  'or set AIRLOCK_BWRAP to its path';
const USERNS_HINT =
  'if unprivileged user namespaces are disabled, enable them: sysctl -w kernel.unprivileged_userns_clone=1 ' +
  '(Debian/Ubuntu) and sysctl -w user.max_user_namespaces=15000; on Ubuntu 23.10+ also ' +
  'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for bwrap); in a ' +
  'container, allow unshare/clone of user namespaces (e.g. docker --security-opt seccomp=unconfined)';

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
    let sandbox: Sandbox | undefined;
    try {
      // Forked here, not through the spawner, so bwrap's own error output is never lost.
      sandbox = await this.start({ memoryMiB: 64 }, new DirectLauncher());
      return { layers: [...sandbox.layers] };
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new AirlockError(
        'ISOLATION_UNAVAILABLE',
        `bubblewrap is installed but a test sandbox did not start: ${detail}. ${USERNS_HINT}`,
      );
    } finally {
      await sandbox?.destroy();
    }
  }

  spawn(opts: SpawnOptions): Promise<Sandbox> {
    return this.start(opts, this.launcher);
  }

  private async start(opts: SpawnOptions, launcher: Launcher): Promise<Sandbox> {
    const bwrap = this.bwrapBinary();
    const ids = this.hostIds();
    const seccomp = this.seccompFilter();
    const cgroups = this.options.cgroups;
    const ceilingMiB = cgroups === undefined ? undefined : memoryCeilingMiB(opts.memoryMiB);
    const { args, command } = buildBwrapArgs({
      nodePath: realpathSync(this.config.nodePath),
      // With a cgroup, the heap flag is the ceiling itself so the kernel's OOM kill comes first.
      memoryMiB: ceilingMiB ?? opts.memoryMiB,
      tmpBytes: this.config.tmpBytes,
      codeBytes: this.options.codeBytes ?? this.config.tmpBytes,
      harnessFd: HARNESS_FD,
      fetchClientFd: FETCH_CLIENT_FD,
      checkpointClientFd: CHECKPOINT_CLIENT_FD,
      infoFd: INFO_FD,
      ...(seccomp === null ? {} : { seccompFds: [SECCOMP_FD] }),
    });
    const nicePath = opts.background === true && canPromote() ? this.niceBinary() : undefined;
    const child = await launcher.launch({
      ...(nicePath === undefined ? {} : { nice: { value: BACKGROUND_NICE, nicePath } }),
      file: bwrap,
      args: ['--args', String(ARGS_FD), '--', ...command],
      cwd: '/',
      ...ids,
      pipes: CHECKPOINT_CLIENT_FD + 1,
      inputs: [
        { fd: ARGS_FD, data: encodeArgs(args) },
        { fd: HARNESS_FD, data: this.harnessSource() },
        ...(seccomp === null ? [] : [{ fd: SECCOMP_FD, data: seccomp }]),
        { fd: FETCH_CLIENT_FD, data: (this.fetchClient ??= readFileSync(fetchClientUrl)) },
        { fd: CHECKPOINT_CLIENT_FD, data: (this.checkpointClient ??= readFileSync(checkpointClientUrl)) },
      ],
      collect: [INFO_FD],
    });
    // The namespace's pid 1 (the harness itself, --as-pid-1), as (host pid, start time).
    let init: { pid: number; start: number } | undefined;
    const info = child.collected(INFO_FD).then((text) => {
      const pid = parseChildPid(text);
      const start = pid === undefined ? undefined : processStartTime(pid);
      if (pid !== undefined && start !== undefined) init = { pid, start };
    });
    let group: SandboxCgroup | undefined;
    const place = async (): Promise<void> => {
      await info;
      if (cgroups === undefined || ceilingMiB === undefined) return;
      if (child.pid === undefined || init === undefined) throw new Error('bwrap reported no sandbox pid to place in a cgroup');
      const limits = { memoryBytes: ceilingMiB * 1024 * 1024, pids: cgroups.pids, cpus: cgroups.cpus };
      // Both the outer bwrap and the namespace's pid 1; everything they fork inherits the group.
      group = await cgroups.manager.place([child.pid, init.pid], limits, opts.tenant);
    };
    return ChannelSandbox.start({
      child,
      // bwrap always unshares every namespace; the host uid is unprivileged either because the
      // server is not root or because hostIds() mapped it to AIRLOCK_SANDBOX_UID. bwrap loads the
      // seccomp filter before it execs the harness, or fails to start the sandbox at all.
      // 'cgroups' only when placed: a failed placement fails the boot (beforeHello) and the sandbox dies.
      layers: [
        'namespaces',
        'unprivileged-uid',
        ...(seccomp === null ? [] : (['seccomp'] as const)),
        ...(cgroups === undefined ? [] : (['cgroups'] as const)),
      ],
      // OOM is what the cgroup's own counter says, or V8's message backed by the cgroup's peak
      // memory use. Without a cgroup there is no signal the sandbox cannot forge (V8's message is
      // plain stderr), so a crash is never called oom.
      oomKilled: () => group?.oomKilled() ?? false,
      memoryPeakBytes: () => group?.memoryPeakBytes(),
      ...(cgroups === undefined
        ? {}
        : { beforeHello: place, bindTenant: (tenant: string) => group?.bindTenant(tenant) }),
      memoryMiB: opts.memoryMiB,
      bootTimeoutMs: this.options.bootTimeoutMs,
      prewarm: opts.prewarm !== false,
      ...(nicePath === undefined
        ? {}
        : {
            promote: () => {
              if (child.pid !== undefined) promoteProcess(child.pid);
              if (init !== undefined) promoteProcess(init.pid);
            },
          }),
      // SIGKILL the namespace's pid 1: the kernel kills everything in the pid namespace, and the
      // outer bwrap reaps it and exits. Killing the outer bwrap first would orphan pid 1 to the
      // host's pid 1, which may never reap it (a zombie per sandbox, e.g. node as pid 1 in Docker).
      terminate: () => {
        if (init === undefined || !processRunning(init.pid, init.start)) return false;
        process.kill(init.pid, 'SIGKILL');
        return true;
      },
      // Resolve destroy() only once pid 1 (hence the whole namespace) is gone.
      afterExit: async () => {
        await info;
        if (init !== undefined) await waitForProcessGone(init.pid, init.start, 5_000);
        await group?.remove();
      },
    });
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
