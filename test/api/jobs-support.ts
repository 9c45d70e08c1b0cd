// Shared pieces of the jobs tests: server settings that make the worker prompt, a job submitter,
// and a poll (with a deadline, never a sleep) for a job to reach a state.
import assert from 'node:assert/strict';
import type { TestServer } from '../support/server.js';

/** The worker looks for work often and retries soon, so tests wait on events, not on defaults. */
export const FAST_JOBS: Record<string, string> = {
  AIRLOCK_JOB_POLL_MS: '50',
  AIRLOCK_QUEUE_BACKOFF_BASE_MS: '20',
  AIRLOCK_QUEUE_BACKOFF_MAX_MS: '100',
};

export interface JobBody {
  id: string;
  function: string;
  status: string;
  result?: unknown;
  error?: { code: string; message: string };
  lastError?: { code: string; message: string };
  attempts: number;
  maxAttempts: number;
  runs: number;
  checkpointAt?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export async function submit(server: TestServer, tenant: string, fn: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await server.request('POST', `/v1/tenants/${tenant}/functions/${fn}/jobs`, body);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.jobId as string;
}

export async function getJob(server: TestServer, tenant: string, id: string): Promise<JobBody> {
  const res = await server.request('GET', `/v1/tenants/${tenant}/jobs/${id}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as JobBody;
}

/** Polls the job until `done(job)` holds; fails with the last state after `timeoutMs`. */
export async function waitJob(
  server: TestServer,
  tenant: string,
  id: string,
  done: (job: JobBody) => boolean,
  timeoutMs = 30_000,
): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(server, tenant, id);
    if (done(job)) return job;
    if (Date.now() > deadline) assert.fail(`job ${id} did not reach the expected state in time; last: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const finished = (job: JobBody): boolean => ['succeeded', 'failed', 'cancelled', 'dead'].includes(job.status);

/** A job that counts to input.n, one checkpointed step every input.stepMs, resuming from its checkpoint. */
export const COUNTER = `export default async function (input, ctx) {
  let state = ctx.checkpoint.get() ?? { i: 0, sum: 0, resumed: 0 };
  state = { ...state, resumed: state.resumed + 1 };
  while (state.i < input.n) {
    await new Promise((resolve) => setTimeout(resolve, input.stepMs));
    state = { ...state, i: state.i + 1, sum: state.sum + state.i + 1 };
    await ctx.checkpoint.save(state);
  }
  return { sum: state.sum, starts: state.resumed };
}`;
