// FunctionService for service tests, as the server builds it: a real SQLite store and the deploy's
// V8 parse in one real bwrap check sandbox per module (no mock), from an isolator built like the
// sandbox tests' (no cgroups).
import type { Config, IsolatorName } from '../../src/core/config.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_LIMITS } from '../../src/core/limits.js';
import { FunctionService } from '../../src/services/functions.js';
import { sandboxedParser } from '../../src/services/node-parse.js';
import type { ModuleParser, SandboxedParser } from '../../src/services/node-parse.js';
import { makeIsolator } from '../sandbox/support.js';
import { tempSqlite } from '../store/temp-sqlite.js';

export function testParser(isolator: IsolatorName = 'bwrap'): SandboxedParser {
  return sandboxedParser(makeIsolator(isolator));
}

export type ServiceConfig = Pick<Config, 'maxSourceBytes' | 'defaultLimits' | 'maxLimits'>;

export const SERVICE_CONFIG: ServiceConfig = { maxSourceBytes: 256 * 1024, defaultLimits: DEFAULT_LIMITS, maxLimits: DEFAULT_MAX_LIMITS };

let shared: ModuleParser | undefined;

/** Runs `fn` with a FunctionService on a fresh SQLite store (clock.now is its clock, epoch ms), then removes the store. */
export async function withFunctionService(
  fn: (svc: FunctionService, clock: { now: number }) => Promise<void>,
  config: ServiceConfig = SERVICE_CONFIG,
): Promise<void> {
  shared ??= testParser();
  const t = await tempSqlite();
  const clock = { now: 1_000 };
  try {
    await fn(new FunctionService(t.store, config, shared, () => clock.now), clock);
  } finally {
    await t.cleanup();
  }
}
