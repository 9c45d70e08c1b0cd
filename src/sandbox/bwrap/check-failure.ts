// Why a test sandbox of the bwrap isolator did not start, in words that point at the cause:
// bubblewrap itself failing to create the namespaces (the user-namespace hint applies), bwrap
// unable to exec the sandbox's node, or that node exiting during boot (AIRLOCK_SANDBOX_NODE is
// not a Node.js that runs the harness), or anything else as it was reported.
import type { SandboxConfig } from '../../core/config.js';
import { bootStderr, describeNodeExit, quoteOutput as quote, sandboxNodeFix, sandboxNodeName } from '../sandbox-node.js';

export const USERNS_HINT =
  'if unprivileged user namespaces are disabled, enable them: sysctl -w kernel.unprivileged_userns_clone=1 ' +
  '(Debian/Ubuntu) and sysctl -w user.max_user_namespaces=15000; on Ubuntu 23.10+ also ' +
  'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for bwrap); in a ' +
  'container, allow unshare/clone of user namespaces (e.g. docker --security-opt seccomp=unconfined)';

/** bwrap errors about creating the namespaces or mounts (what the user-namespace hint fixes). */
const NAMESPACE_ERROR = /namespace|uid map|gid map|unshare|clone|not permitted|permission denied|mount/i;

/** The message of the ISOLATION_UNAVAILABLE error check() throws for `err`. */
export function describeCheckFailure(err: unknown, config: SandboxConfig): string {
  const message = err instanceof Error ? err.message : String(err);
  const stderr = bootStderr(err);
  const bwrapLines = stderr.split('\n').filter((line) => line.startsWith('bwrap: '));
  const node = sandboxNodeName(config);
  if (bwrapLines.some((line) => line.startsWith('bwrap: execvp'))) {
    return `a test sandbox did not start: bubblewrap could not run ${node} inside it (${quote(bwrapLines.join('\n'))}); ${sandboxNodeFix(config)}`;
  }
  if (bwrapLines.length > 0) {
    const hint = bwrapLines.some((line) => NAMESPACE_ERROR.test(line)) ? `. ${USERNS_HINT}` : '';
    return `bubblewrap is installed but could not create a test sandbox: ${quote(bwrapLines.join('\n'))}${hint}`;
  }
  return describeNodeExit(err, config) ?? `bubblewrap is installed but a test sandbox did not start: ${message}`;
}
