// What started a job, stored in its payload (JobPayload.source): a submission over the API, a
// webhook delivery (its delivery id), or a schedule's occurrence (the schedule's name and the
// occurrence time it fired for). The API shows it on the job and the function reads it as
// ctx.job.source. Jobs stored before sources were recorded have none: theirs is read from the
// idempotency key their producer gave them (`dl_…` equal to the input's deliveryId for a webhook
// delivery, `schedule:<name>:<ISO time>` for a schedule), else it is `api`. New API submissions
// always store `api`, so a key that looks like another producer's never changes theirs.
import { NAME_PATTERN } from '../names.js';
import { isRecord } from '../../core/json.js';

export type JobSource =
  | { kind: 'api' }
  | { kind: 'webhook'; deliveryId: string }
  | { kind: 'schedule'; schedule: string; /** The occurrence, epoch ms. */ occurrenceAt: number };

export const API_SOURCE: JobSource = { kind: 'api' };

/** A stored source read back (only the fields of its kind); undefined when `raw` is not one. */
export function readJobSource(raw: unknown): JobSource | undefined {
  if (!isRecord(raw)) return undefined;
  if (raw.kind === 'api') return { kind: 'api' };
  if (raw.kind === 'webhook' && typeof raw.deliveryId === 'string') return { kind: 'webhook', deliveryId: raw.deliveryId };
  if (raw.kind === 'schedule' && typeof raw.schedule === 'string' && Number.isSafeInteger(raw.occurrenceAt)) {
    return { kind: 'schedule', schedule: raw.schedule, occurrenceAt: raw.occurrenceAt as number };
  }
  return undefined;
}

const SCHEDULE_KEY = /^schedule:([^:]+):(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)$/;

/** The source of a job stored before sources were recorded, from its idempotency key and input. */
export function legacyJobSource(idempotencyKey: string | undefined, input: unknown): JobSource {
  if (idempotencyKey === undefined) return API_SOURCE;
  if (idempotencyKey.startsWith('dl_') && isRecord(input) && input.deliveryId === idempotencyKey) {
    return { kind: 'webhook', deliveryId: idempotencyKey };
  }
  const schedule = SCHEDULE_KEY.exec(idempotencyKey);
  if (schedule !== null && NAME_PATTERN.test(schedule[1]!)) {
    const occurrenceAt = Date.parse(schedule[2]!);
    if (Number.isSafeInteger(occurrenceAt)) return { kind: 'schedule', schedule: schedule[1]!, occurrenceAt };
  }
  return API_SOURCE;
}
