// What started a job, as stored in its payload and handed to ctx.job: stored sources are read back
// with only their kind's fields and a malformed one is refused; jobs stored before sources were
// recorded get theirs from their producer's idempotency key (a webhook delivery's id, a schedule
// occurrence's key) and are `api` otherwise; ctx.job counts attempts from 1 and carries the key
// and retry time only when the job has them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueueItem } from '../../../src/queue/port.js';
import { jobInfoOf } from '../../../src/services/jobs/job-info.js';
import { jobSource, readJobPayload } from '../../../src/services/jobs/payload.js';
import { legacyJobSource } from '../../../src/services/jobs/source.js';

const BASE = { input: { a: 1 }, maxRunMs: 1000, deadlineAt: 2_000_000_000_000 };

function item(over: Partial<QueueItem> = {}): QueueItem {
  return {
    id: 'qi_1', tenant: 'acme', function: 'sync', lane: 'background', payload: BASE, status: 'running', attempts: 0, maxAttempts: 5,
    runs: 1, stalledRuns: 0, fence: 1, runAfter: 0, createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000, ...over,
  };
}

describe('job sources', () => {
  it('reads a stored source back with only the fields of its kind', () => {
    const read = (source: unknown) => readJobPayload({ ...BASE, source }, 'qi_1').source;
    assert.deepEqual(read({ kind: 'api', extra: 'dropped' }), { kind: 'api' });
    assert.deepEqual(read({ kind: 'webhook', deliveryId: 'dl_1', x: 1 }), { kind: 'webhook', deliveryId: 'dl_1' });
    assert.deepEqual(read({ kind: 'schedule', schedule: 'nightly', occurrenceAt: 1_800_000_000_000 }), {
      kind: 'schedule', schedule: 'nightly', occurrenceAt: 1_800_000_000_000,
    });
    assert.equal(readJobPayload(BASE, 'qi_1').source, undefined);
  });

  it('refuses a payload whose source is not one', () => {
    for (const source of [{ kind: 'cron' }, { kind: 'webhook' }, { kind: 'schedule', schedule: 'x', occurrenceAt: 'soon' }, 'api', null]) {
      assert.throws(() => readJobPayload({ ...BASE, source }, 'qi_1'), { code: 'INTERNAL' }, JSON.stringify(source));
    }
  });

  it('derives the source of a job stored before sources were recorded from its idempotency key', () => {
    assert.deepEqual(legacyJobSource(undefined, null), { kind: 'api' });
    assert.deepEqual(legacyJobSource('my-key', null), { kind: 'api' });
    assert.deepEqual(legacyJobSource('dl_01ABC', { deliveryId: 'dl_01ABC', method: 'POST' }), { kind: 'webhook', deliveryId: 'dl_01ABC' });
    assert.deepEqual(legacyJobSource('dl_01ABC', { deliveryId: 'dl_other' }), { kind: 'api' }, 'the input must name the same delivery');
    assert.deepEqual(legacyJobSource('schedule:nightly:2026-01-16T01:30:00.000Z', null), {
      kind: 'schedule', schedule: 'nightly', occurrenceAt: Date.parse('2026-01-16T01:30:00.000Z'),
    });
    assert.deepEqual(legacyJobSource('schedule:Nightly!:2026-01-16T01:30:00.000Z', null), { kind: 'api' });
    assert.deepEqual(legacyJobSource('schedule:nightly:tomorrow', null), { kind: 'api' });
  });

  it('prefers the stored source over what the key looks like', () => {
    const payload = readJobPayload({ ...BASE, source: { kind: 'api' } }, 'qi_1');
    assert.deepEqual(jobSource(payload, { idempotencyKey: 'schedule:nightly:2026-01-16T01:30:00.000Z' }), { kind: 'api' });
    assert.deepEqual(jobSource(readJobPayload(BASE, 'qi_1'), { idempotencyKey: 'schedule:nightly:2026-01-16T01:30:00.000Z' }).kind, 'schedule');
  });
});

describe('ctx.job of a claimed item', () => {
  it('is attempt failed-attempts + 1, with the key and retry time only when the job has them', () => {
    const payload = readJobPayload({ ...BASE, source: { kind: 'webhook', deliveryId: 'dl_9' } }, 'qi_1');
    assert.deepEqual(jobInfoOf(item({ attempts: 2, maxAttempts: 3 }), payload), {
      id: 'qi_1', attempt: 3, maxAttempts: 3, source: { kind: 'webhook', deliveryId: 'dl_9' }, createdAt: 1_700_000_000_000,
    });
    const retried = readJobPayload({ ...BASE, source: { kind: 'api' }, retriedAt: 1_700_000_500_000 }, 'qi_1');
    assert.deepEqual(jobInfoOf(item({ idempotencyKey: 'k' }), retried), {
      id: 'qi_1', attempt: 1, maxAttempts: 5, source: { kind: 'api' }, createdAt: 1_700_000_000_000, idempotencyKey: 'k', retriedAt: 1_700_000_500_000,
    });
  });
});
