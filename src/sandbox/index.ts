// Entry point of the sandbox layer: picks the isolator named in the configuration.
import type { SandboxConfig } from '../core/config.js';
import { BwrapIsolator } from './bwrap/isolator.js';
import type { Isolator } from './port.js';
import { ProcessIsolator } from './process/isolator.js';

export type { Isolator, Sandbox, SandboxRunOutcome, SandboxRunRequest, SpawnOptions } from './port.js';
export { BwrapIsolator } from './bwrap/isolator.js';
export { ProcessIsolator } from './process/isolator.js';

export function createIsolator(config: SandboxConfig): Isolator {
  return config.isolator === 'bwrap' ? new BwrapIsolator(config) : new ProcessIsolator(config);
}
