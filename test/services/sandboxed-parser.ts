// FunctionService for service tests, as the server builds it: a real SQLite store and the deploy's
// V8 parse in one real bwrap check sandbox per module (no mock), from an isolator built like the
// sandbox tests' (no cgroups).
import assert from 'node:assert/strict';
import type { Config, IsolatorName } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';
import type { AirlockError, ErrorCode } from '../../src/core/errors.js';
import type { Runtime } from '../../src/core/types.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_LIMITS } from '../../src/core/limits.js';
import { FunctionService } from '../../src/services/functions.js';
import { sandboxedParser } from '../../src/services/node-parse.js';
import type { ModuleParser, SandboxedParser } from '../../src/services/node-parse.js';
import { makeIsolator } from '../sandbox/support.js';
import { tempSqlite } from '../store/temp-sqlite.js';

export function testParser(isolator: IsolatorName = 'bwrap'): SandboxedParser {
  return sandboxedParser(makeIsolator(isolator));
}

export type ServiceConfig = Pick<Config, 'maxSourceBytes' | 'maxBundleBytes' | 'defaultLimits' | 'maxLimits'>;

export const SERVICE_CONFIG: ServiceConfig = { maxSourceBytes: 256 * 1024, maxBundleBytes: 5 * 1024 * 1024, defaultLimits: DEFAULT_LIMITS, maxLimits: DEFAULT_MAX_LIMITS };

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

/** Deploys `code` expecting a 400 with `expected`, and nothing stored; answers the error. */
export async function deployRefused(svc: FunctionService, code: string, expected: ErrorCode, runtime?: Runtime): Promise<AirlockError> {
  try {
    await svc.deploy('acme', 'f', runtime === undefined ? { code } : { code, runtime });
  } catch (err) {
    assert.ok(isAirlockError(err), `expected an AirlockError, got ${String(err)}`);
    assert.equal(err.code, expected, err.message);
    assert.equal(err.status, 400);
    assert.deepEqual(await svc.list('acme'), [], 'nothing was stored');
    return err;
  }
  return assert.fail(`expected ${expected} for ${JSON.stringify(code)}, but it deployed`);
}
