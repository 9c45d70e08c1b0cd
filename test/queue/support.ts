// Shared pieces of the queue tests: a controllable clock, a test policy, the factory shape each
// QueueStore implementation provides, and helpers to assert typed errors and fairness.
import type { QueuePolicy, QueueStore } from '../../src/queue/port.js';

export class TestClock {
  t = 1_700_000_000_000;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export function testPolicy(overrides: Partial<QueuePolicy> = {}): QueuePolicy {
  return {
    slots: 8,
    interactiveReserved: 0,
    tenantConcurrency: 8,
    tenantCaps: {},
    tenantWeights: {},
    leaseMs: 1_000,
    maxAttempts: 3,
    backoffBaseMs: 100,
    backoffMaxMs: 1_000,
    payloadBytes: 1_024,
    checkpointBytes: 256,
    tenantBacklog: 0,
    ...overrides,
  };
}

export interface QueueSetup {
  policy: QueuePolicy;
  now: () => number;
  random: () => number;
}

export interface QueueUnderTest {
  queue: QueueStore;
  /** A second, independent handle on the same data (restart, or another server). */
  openAnother: () => Promise<QueueStore>;
  /** Closes nothing; removes what the queue created. */
  cleanup: () => Promise<void>;
}

export type MakeQueue = (setup: QueueSetup) => Promise<QueueUnderTest>;

/** Asserts that `p` rejects with an AirlockError of `code`. */
export { rejectsWith } from '../support/rejects.js';

/** Jain's fairness index of non-negative shares: 1 when equal, 1/n when one takes all. */
export function jain(xs: readonly number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const squares = xs.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (xs.length * squares);
}
