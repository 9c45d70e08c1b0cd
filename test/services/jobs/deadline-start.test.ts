// Where a job's total deadline counts from (services/jobs/payload.ts deadlineStart): the time the
// submission computed its deadline from, so the JOB_DEADLINE message says exactly the deadlineMs
// asked for; the queue item's createdAt, taken by the store a moment later, only for jobs stored
// before that time was kept; a retry's own time after a retry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deadlineStart, readJobPayload } from '../../../src/services/jobs/payload.js';
import { deadlineError } from '../../../src/services/jobs/slice-errors.js';

describe('deadlineStart', () => {
  const item = { createdAt: 1_001 };

  it('counts from the submission time the payload keeps, not the item created a moment later', () => {
    const payload = readJobPayload({ input: null, maxRunMs: 100, deadlineAt: 3_000, submittedAt: 1_000 }, 'qi_1');
    assert.deepEqual(deadlineStart(payload, item), { at: 1_000, event: 'submitted' });
    assert.match(deadlineError(payload.deadlineAt, deadlineStart(payload, item), undefined).message, /, 2000 ms after it was submitted\)/);
  });

  it('counts from createdAt for a payload stored without it, and from the retry after one', () => {
    assert.deepEqual(deadlineStart(readJobPayload({ input: null, maxRunMs: 100, deadlineAt: 3_000 }, 'qi_1'), item), { at: 1_001, event: 'submitted' });
    const retried = readJobPayload({ input: null, maxRunMs: 100, deadlineAt: 9_000, submittedAt: 1_000, retriedAt: 5_000 }, 'qi_1');
    assert.deepEqual(deadlineStart(retried, item), { at: 5_000, event: 'retried' });
  });

  it('refuses a payload whose submittedAt is not epoch milliseconds', () => {
    assert.throws(() => readJobPayload({ input: null, maxRunMs: 100, deadlineAt: 3_000, submittedAt: 'yesterday' }, 'qi_1'), /does not hold a job payload/);
  });
});
