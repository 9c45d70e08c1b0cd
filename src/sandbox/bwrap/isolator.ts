// The bubblewrap isolator: each sandbox is a bwrap process with every namespace unshared, an
// empty environment, arguments passed on a pipe (`--args`), the harness copied in from a pipe,
// and, when the server runs as root, an unprivileged host uid. The process is spawned detached
// (its own process group) so the whole group can be SIGKILLed; killing the namespace's pid 1
// takes every process inside with it, which destroy() waits for before resolving.
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { SandboxConfig } from '../../core/config.js';
import { AirlockError } from '../../core/errors.js';
import { ChannelSandbox } from '../channel.js';
import { coverInheritedFds } from '../fds.js';
import type { Isolator, Sandbox, SpawnOptions } from '../port.js';
import { buildBwrapArgs, encodeArgs } from './args.js';
import { processRunning, processStartTime, waitForProcessGone } from './procfs.js';

const ARGS_FD = 4;
const HARNESS_FD = 5;
const INFO_FD = 6;
const INFO_CAP = 4096;
const INSTALL_HINT =
  'install bubblewrap: apt-get install -y bubblewrap (Debian/Ubuntu) or dnf install bubblewrap (Fedora/RHEL), ' +
  'or set AIRLOCK_BWRAP to its path';
const USERNS_HINT =
  'if unprivileged user namespaces are disabled, enable them: sysctl -w kernel.unprivileged_userns_clone=1 ' +
  '(Debian/Ubuntu) and sysctl -w user.max_user_namespaces=15000; on Ubuntu 23.10+ also ' +
  'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for bwrap); in a ' +
  'container, allow unshare/clone of user namespaces (e.g. docker --security-opt seccomp=unconfined)';

export interface BwrapIsolatorOptions {
  /** Longest wait for a sandbox to report ready, ms (default 10 s). */
  bootTimeoutMs?: number;
  /** Size of the code dir tmpfs, bytes (default: config.tmpBytes). */
  codeBytes?: number;
}

const harnessUrl = new URL('../../runtime/harness.js', import.meta.url);

/** Finds an executable on PATH (the sandbox is spawned with an empty env, so not by spawn). */
function resolveExecutable(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, name));
  for (const candidate of candidates) {
    if (!isAbsolute(candidate)) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

function readInfo(stream: Readable): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      if (text.length < INFO_CAP) text += chunk.toString('utf8');
    });
    stream.on('error', () => resolve(undefined));
    stream.on('close', () => {
      try {
        const pid = (JSON.parse(text) as { 'child-pid'?: unknown })['child-pid'];
        resolve(typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

export class BwrapIsolator implements Isolator {
  readonly name = 'bwrap' as const;
  readonly isolation = 'bwrap';
  private readonly config: SandboxConfig;
  private readonly options: BwrapIsolatorOptions;
  private harness: Buffer | undefined;

  constructor(config: SandboxConfig, options: BwrapIsolatorOptions = {}) {
    this.config = config;
    this.options = options;
  }

  async check(): Promise<void> {
    this.bwrapBinary();
    let sandbox: Sandbox | undefined;
    try {
      sandbox = await this.spawn({ memoryMiB: 64 });
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

  async spawn(opts: SpawnOptions): Promise<Sandbox> {
    const bwrap = this.bwrapBinary();
    const ids = this.hostIds();
    const { args, command } = buildBwrapArgs({
      nodePath: realpathSync(this.config.nodePath),
      memoryMiB: opts.memoryMiB,
      tmpBytes: this.config.tmpBytes,
      codeBytes: this.options.codeBytes ?? this.config.tmpBytes,
      harnessFd: HARNESS_FD,
      infoFd: INFO_FD,
    });
    const child = spawn(bwrap, ['--args', String(ARGS_FD), '--', ...command], {
      env: {}, // bwrap's own pid 1 keeps its environment, readable at /proc/1/environ
      cwd: '/',
      detached: true,
      stdio: coverInheritedFds(['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe']),
      ...ids,
    });
    const pipes = child.stdio as unknown as (Readable | Writable)[];
    const argsPipe = pipes[ARGS_FD] as Writable;
    const harnessPipe = pipes[HARNESS_FD] as Writable;
    for (const pipe of [argsPipe, harnessPipe]) pipe.on('error', () => {});
    argsPipe.end(encodeArgs(args));
    harnessPipe.end(this.harnessSource());
    // The namespace's pid 1 (the harness itself, --as-pid-1), as (host pid, start time).
    let init: { pid: number; start: number } | undefined;
    const info = readInfo(pipes[INFO_FD] as Readable).then((pid) => {
      const start = pid === undefined ? undefined : processStartTime(pid);
      if (pid !== undefined && start !== undefined) init = { pid, start };
    });
    return ChannelSandbox.start({
      child,
      memoryMiB: opts.memoryMiB,
      bootTimeoutMs: this.options.bootTimeoutMs,
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
      },
    });
  }

  private bwrapBinary(): string {
    const found = resolveExecutable(this.config.bwrapPath);
    if (found === undefined) {
      throw new AirlockError('ISOLATION_UNAVAILABLE', `bubblewrap (${this.config.bwrapPath}) was not found; ${INSTALL_HINT}`);
    }
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

  private harnessSource(): Buffer {
    this.harness ??= readFileSync(harnessUrl);
    return this.harness;
  }
}
