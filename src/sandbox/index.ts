// Entry point of the sandbox layer: picks the isolator named in the configuration.
import type { SandboxConfig } from '../core/config.js';
import type { SandboxFrameReader } from '../core/json-thread/parser.js';
import { BwrapIsolator } from './bwrap/isolator.js';
import type { SandboxCgroupPolicy } from './cgroup/index.js';
import type { Launcher } from './launch/types.js';
import type { Isolator } from './port.js';
import { ProcessIsolator } from './process/isolator.js';

export type { Isolator, IsolatorCheck, Sandbox, SandboxRunOutcome, SandboxRunRequest, SpawnOptions } from './port.js';
export { BwrapIsolator } from './bwrap/isolator.js';
export { ProcessIsolator } from './process/isolator.js';
export { DirectLauncher } from './launch/direct.js';
export { SpawnerLauncher } from './launch/spawner.js';
export { sandboxLauncher } from './launch/open-files.js';

/**
 * The isolator for `config`. Pass a launcher to choose how sandbox processes are forked: the
 * server uses a SpawnerLauncher; the default forks from the calling process.
 */
export function createIsolator(
  config: SandboxConfig,
  options: { launcher?: Launcher; cgroups?: SandboxCgroupPolicy | undefined; frameReader?: SandboxFrameReader } = {},
): Isolator {
  const { cgroups, ...rest } = options;
  // Only bwrap sandboxes get cgroups; the process isolator isolates nothing at all.
  return config.isolator === 'bwrap'
    ? new BwrapIsolator(config, { ...rest, ...(cgroups === undefined ? {} : { cgroups }) })
    : new ProcessIsolator(config, rest);
}
