// Test data builders shared by the store conformance suite and the service tests.
import { sortableId } from '../../src/core/ids.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import type { ExecutionRecord, FunctionVersion } from '../../src/core/types.js';

let clock = Date.UTC(2030, 0, 1);

/** A fresh execution id, strictly later than every id made before in this process. */
export function nextExecutionId(): string {
  clock += 1;
  return sortableId('ex', clock);
}

export function makeRecord(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  const id = overrides.id ?? nextExecutionId();
  return {
    id,
    tenant: 'acme',
    function: 'hello',
    version: 'v1',
    status: 'succeeded',
    start: 'warm',
    isolation: 'bwrap',
    layers: ['namespaces', 'unprivileged-uid'],
    queuedAt: 1_000,
    startedAt: 1_001,
    finishedAt: 1_003,
    durationMs: 1.25,
    result: { ok: true },
    logs: [{ ts: 1_002, level: 'info', msg: 'hi' }],
    ...overrides,
  };
}

export function makeVersion(overrides: Partial<FunctionVersion> = {}): FunctionVersion {
  return {
    tenant: 'acme',
    name: 'hello',
    version: 'a'.repeat(64),
    runtime: 'typescript',
    source: 'export default (x: number) => x',
    code: 'export default (x        ) => x',
    limits: { ...DEFAULT_LIMITS },
    isolation: 'tenant',
    createdAt: 1_700_000_000_000,
    ...overrides,
  };
}
