// ?since= and ?until= of the execution listings: RFC 3339 times (validated by the schemas) turned
// into a range of execution ids, since ids begin with the time they were made. `since` must be
// before `until`.
import { AirlockError } from '../core/errors.js';
import { idTimeFloor } from '../core/ids.js';

export interface TimeRangeQuery {
  since?: string;
  until?: string;
}

/** The id range of `since`/`until`, as the store's filter takes it (fromId inclusive, toId exclusive). */
export function executionIdRange(q: TimeRangeQuery): { fromId?: string; toId?: string } {
  if (q.since !== undefined && q.until !== undefined && Date.parse(q.since) >= Date.parse(q.until)) {
    throw new AirlockError('VALIDATION_FAILED', `since (${q.since}) must be before until (${q.until}); swap them, or leave one out`);
  }
  return {
    ...(q.since === undefined ? {} : { fromId: idTimeFloor('ex', Date.parse(q.since)) }),
    ...(q.until === undefined ? {} : { toId: idTimeFloor('ex', Date.parse(q.until)) }),
  };
}
