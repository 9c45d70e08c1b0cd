// The Node.js executable sandboxes run (AIRLOCK_SANDBOX_NODE, default the server's own): how
// messages name it, the check both isolators make before their test sandbox, so a missing or
// non-executable path is reported as such rather than as a failure of the isolation itself, and
// the words for a test sandbox whose node exited during boot (not a Node.js that runs the harness).
import { realpathSync, statSync } from 'node:fs';
import type { SandboxConfig } from '../core/config.js';
import { AirlockError, isAirlockError } from '../core/errors.js';

/** Longest part of a program's output quoted in a message. */
const QUOTE_CAP = 600;

/** Output on one line, capped, for quoting in a message. */
export function quoteOutput(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' | ').trim();
  return flat.length > QUOTE_CAP ? `${flat.slice(0, QUOTE_CAP)}…` : flat;
}

/** What a failed boot of a sandbox reported on stderr ('' when nothing). */
export function bootStderr(err: unknown): string {
  return isAirlockError(err) && typeof err.details?.stderr === 'string' ? err.details.stderr : '';
}

/**
 * The message for a test sandbox whose node exited during boot, naming the node and what it
 * printed; undefined when `err` is another failure.
 */
export function describeNodeExit(err: unknown, config: SandboxConfig): string | undefined {
  const message = err instanceof Error ? err.message : String(err);
  if (!/exited during boot/.test(message)) return undefined;
  const stderr = bootStderr(err);
  const output = stderr === '' ? 'it printed nothing' : `its output: ${quoteOutput(stderr)}`;
  const node = sandboxNodeName(config);
  if (config.nodePath === process.execPath) return `a test sandbox running ${node} exited during boot (${output})`;
  return `${node} is not a Node.js that can run the sandbox (it exited during boot: ${output}); ${sandboxNodeFix(config)}`;
}

/** How a message names the sandbox's node: the variable when it was set, else the default. */
export function sandboxNodeName(config: SandboxConfig): string {
  return config.nodePath === process.execPath
    ? `the server's own Node.js (${config.nodePath}; AIRLOCK_SANDBOX_NODE is unset)`
    : `AIRLOCK_SANDBOX_NODE=${config.nodePath}`;
}

/** What to do about a sandbox node that is not usable. */
export function sandboxNodeFix(config: SandboxConfig): string {
  return config.nodePath === process.execPath
    ? 'set AIRLOCK_SANDBOX_NODE to a Node.js 20+ executable (e.g. AIRLOCK_SANDBOX_NODE=$(command -v node))'
    : `set AIRLOCK_SANDBOX_NODE to a Node.js 20+ executable (e.g. AIRLOCK_SANDBOX_NODE=$(command -v node)), or unset it to use the server's own (${process.execPath})`;
}

/** Throws ISOLATION_UNAVAILABLE when the sandbox's node is missing, not a file, or not executable. */
export function checkSandboxNode(config: SandboxConfig): void {
  let found: string;
  try {
    const real = realpathSync(config.nodePath);
    const stat = statSync(real);
    if (!stat.isFile()) found = `is not a file (${stat.isDirectory() ? 'a directory' : 'not a regular file'})`;
    // The sandbox runs as an unprivileged uid: an execute bit for the owner alone may not do.
    else if ((stat.mode & 0o111) === 0) found = `is not executable (mode ${(stat.mode & 0o777).toString(8)})`;
    else return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    found = code === 'ENOENT' ? 'does not exist' : `cannot be read (${err instanceof Error ? err.message : String(err)})`;
  }
  throw new AirlockError('ISOLATION_UNAVAILABLE', `${sandboxNodeName(config)} ${found}; ${sandboxNodeFix(config)}`);
}
