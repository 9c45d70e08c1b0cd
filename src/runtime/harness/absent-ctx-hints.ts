// Says what went wrong when a run fails reading a ctx member its kind of run does not have:
// `ctx.fetch` without an egress grant ("ctx.fetch is not a function"), and `ctx.checkpoint` or
// `ctx.job` outside a job run ("Cannot read properties of undefined (reading 'get')", as a job
// function tried with `airlock invoke` fails). V8's message does not name the member for the
// latter, so the hint is added only when the module's source mentions `.checkpoint` or `.job`.
import type { HarnessError } from '../protocol.js';

const FETCH_HINT =
  '; this function has no egress grant, so its ctx has no fetch: deploy it with an egress policy naming the hosts ' +
  'it may reach (airlock deploy … --egress @policy.json, see docs/egress.md)';

function jobHint(target: string): string {
  return (
    '; this run is not a job, so its ctx has no checkpoint and no job: they are there only when the function runs ' +
    `as a job (airlock jobs submit ${target}, a webhook delivery or a schedule), not in an invoke; ` +
    'a function meant for both checks first: `const state = ctx.checkpoint?.get()`'
  );
}

/** `fetch is not a function`, called as `ctx.fetch(…)`, `context.fetch(…)` or a destructured `fetch(…)`. */
const FETCH_NOT_A_FUNCTION = /(^|\.)fetch is not a function$/;

/** V8's message for a member of ctx.checkpoint (get, save) or ctx.job read while they are undefined. */
const JOB_MEMBER_OF_UNDEFINED =
  /^Cannot read properties of undefined \(reading '(get|save|id|attempt|maxAttempts|idempotencyKey|source|createdAt|retriedAt)'\)$/;

/** Whether a module's source reads ctx.checkpoint or ctx.job (whatever it names ctx). */
const MENTIONS_JOB_MEMBERS = /\.\s*(checkpoint|job)\b/;

/** Computed once per module when it loads: whether its failures may be about ctx.checkpoint or ctx.job. */
export function mentionsJobMembers(code: string): boolean {
  return MENTIONS_JOB_MEMBERS.test(code);
}

export interface RunGrants {
  egress: boolean;
  job: boolean;
  /** The module's source mentions `.checkpoint` or `.job` (mentionsJobMembers). */
  mentionsJobMembers: boolean;
  /** `<tenant>/<function>`, as the CLI names it. */
  target: string;
}

/** The error with the hint that applies to it appended to its message, or the error unchanged. */
export function withAbsentCtxHint(error: HarnessError, run: RunGrants): HarnessError {
  if (error.type !== 'TypeError') return error;
  const message = error.message;
  if (!run.egress && FETCH_NOT_A_FUNCTION.test(message)) return { ...error, message: message + FETCH_HINT };
  if (!run.job && run.mentionsJobMembers && JOB_MEMBER_OF_UNDEFINED.test(message)) {
    return { ...error, message: message + jobHint(run.target) };
  }
  return error;
}
