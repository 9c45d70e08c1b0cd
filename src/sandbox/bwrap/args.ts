// Pure builder of the bubblewrap argument list for one sandbox (a pool sandbox running the harness,
// or a deploy's parse check running runtime/parse-check.cts: the same walls either way). Every line answers a finding of
// THREAT-MODEL.md: all namespaces (user namespace required, never "try"), no further user
// namespaces inside, read-only /usr only, fresh /proc with /proc/sys read-only, size-limited
// tmpfs for /tmp, /dev/shm and the code dir, a read-only root and /dev, the program copied in
// from a pipe (never a bind of a host path, which /proc/self/mountinfo would reveal). The list
// is passed to bwrap through `--args FD`, so /proc/1/cmdline shows none of it.
// The program files are written into the root tmpfs (`--file`), which `--remount-ro /` then makes
// read-only with everything else there: no mount of their own, so bwrap has three bind mounts,
// three remounts and their /proc/self/mountinfo re-reads fewer to make (`--ro-bind-data` cost
// ≈ 0.7 ms more per sandbox start).
// Each of `seccompFds` becomes `--add-seccomp-fd FD` (the filter of src/sandbox/seccomp).
import { dirname } from 'node:path';

/** Where things live inside the sandbox. */
export const SANDBOX_HARNESS_PATH = '/airlock/harness.cjs';
/** The ctx.fetch client, imported by the harness from beside itself (runtime/fetch-client.mts). */
export const SANDBOX_FETCH_CLIENT_PATH = '/airlock/fetch-client.mjs';
/** The ctx.checkpoint client of job runs, beside the harness too (runtime/checkpoint-client.mts). */
export const SANDBOX_CHECKPOINT_CLIENT_PATH = '/airlock/checkpoint-client.mjs';
/** The deploy-time parse check (runtime/parse-check.cts), in place of the harness in a check sandbox. */
export const SANDBOX_PARSE_CHECK_PATH = '/airlock/parse-check.cjs';
export const SANDBOX_CODE_DIR = '/fn';
/** Where the host's node executable is bound when it lives outside /usr. */
export const SANDBOX_NODE_PATH = '/airlock/node/bin/node';

/** What the sandbox runs: the harness (default), or the parse check with its Node flags. */
export type SandboxProgram = { kind: 'harness' } | { kind: 'parse-check'; nodeFlags: readonly string[] };

export interface BwrapArgsOptions {
  program?: SandboxProgram;
  /** Absolute, symlink-resolved path of the node executable on the host. */
  nodePath: string;
  memoryMiB: number;
  /** Size of /tmp and of /dev/shm, bytes each. */
  tmpBytes: number;
  /** Size of the code dir tmpfs, bytes. */
  codeBytes: number;
  /** Child fd from which bwrap copies the program's source (the harness, or the parse check). */
  programFd: number;
  /** Child fd from which bwrap copies the ctx.fetch client module. */
  fetchClientFd?: number;
  /** Child fd from which bwrap copies the ctx.checkpoint client module. */
  checkpointClientFd?: number;
  /** Child fd on which bwrap reports the sandbox's pid-1 host pid (JSON). */
  infoFd?: number;
  /** Child fds carrying compiled seccomp filters (struct sock_filter[] bytes). */
  seccompFds?: readonly number[];
}

export interface BwrapInvocation {
  /** NUL-joined and written to the --args fd. */
  args: string[];
  /** bwrap insists on the command being on its real argv: only sandbox-side paths here. */
  command: string[];
}

export function buildBwrapArgs(opts: BwrapArgsOptions): BwrapInvocation {
  const args: string[] = [
    '--unshare-all',
    '--unshare-user', // fail closed: --unshare-all alone only *tries* the user namespace
    '--disable-userns',
    '--die-with-parent',
    // The harness is pid 1 of the namespace: no bwrap init inside (nothing to ptrace there),
    // and the outer bwrap reaps it directly, so no orphan is left to the host's pid 1.
    '--as-pid-1',
    '--new-session',
    '--cap-drop', 'ALL',
    '--hostname', 'sandbox',
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/lib', '/lib',
    '--symlink', 'usr/lib64', '/lib64',
    '--symlink', 'usr/bin', '/bin',
  ];
  let nodeInSandbox = opts.nodePath;
  if (!opts.nodePath.startsWith('/usr/')) {
    // e.g. /opt/node-v20/bin/node: bind the executable alone, read-only, at a neutral path. Never
    // a directory around it: for /opt/node that would be the host's whole root. Node needs nothing
    // else from its install dir (its shared libraries, if any, come from /usr).
    nodeInSandbox = SANDBOX_NODE_PATH;
    args.push('--ro-bind', opts.nodePath, nodeInSandbox);
  }
  args.push(
    '--proc', '/proc',
    '--ro-bind', '/proc/sys', '/proc/sys',
    '--dev', '/dev',
    '--size', String(opts.tmpBytes), '--tmpfs', '/dev/shm',
    '--size', String(opts.tmpBytes), '--tmpfs', '/tmp',
    '--size', String(opts.codeBytes), '--tmpfs', SANDBOX_CODE_DIR,
    '--dir', dirname(SANDBOX_HARNESS_PATH),
  );
  const program: SandboxProgram = opts.program ?? { kind: 'harness' };
  const programPath = program.kind === 'harness' ? SANDBOX_HARNESS_PATH : SANDBOX_PARSE_CHECK_PATH;
  args.push('--perms', '0444', '--file', String(opts.programFd), programPath);
  if (opts.fetchClientFd !== undefined) {
    args.push('--perms', '0444', '--file', String(opts.fetchClientFd), SANDBOX_FETCH_CLIENT_PATH);
  }
  if (opts.checkpointClientFd !== undefined) {
    args.push('--perms', '0444', '--file', String(opts.checkpointClientFd), SANDBOX_CHECKPOINT_CLIENT_PATH);
  }
  if (opts.infoFd !== undefined) args.push('--info-fd', String(opts.infoFd));
  for (const fd of opts.seccompFds ?? []) args.push('--add-seccomp-fd', String(fd));
  // /fn is a mount of its own (tenant modules are named under it, nothing is written there):
  // remounting / leaves it writable, so it is remounted read-only too. `--remount-ro /` comes
  // after the `--file`s: it is what makes them read-only.
  args.push('--remount-ro', '/dev', '--remount-ro', SANDBOX_CODE_DIR, '--remount-ro', '/', '--chdir', '/tmp');
  const heap = `--max-old-space-size=${Math.max(1, Math.floor(opts.memoryMiB))}`;
  const command =
    program.kind === 'harness'
      ? [nodeInSandbox, heap, SANDBOX_HARNESS_PATH, SANDBOX_CODE_DIR]
      : [nodeInSandbox, heap, ...program.nodeFlags, SANDBOX_PARSE_CHECK_PATH];
  return { args, command };
}

/** The --args payload: each argument NUL-terminated. */
export function encodeArgs(args: readonly string[]): Buffer {
  return Buffer.from(args.map((a) => `${a}\0`).join(''), 'utf8');
}
