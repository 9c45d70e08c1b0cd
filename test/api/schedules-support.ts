// Shared pieces of the schedule tests: a clock the test moves (schedules read it; jobs keep real
// time), servers started on a data dir the test owns (so a second server, or a restarted one, can
// open the same database), and small readers of schedules, occurrences and a schedule's jobs.
import assert from 'node:assert/strict';
import { startAirlock } from '../../src/app.js';
import type { Airlock } from '../../src/app.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { FAST_JOBS } from './jobs-support.js';

/** A clock that only moves when the test says so. */
export class TestClock {
  ms: number;
  constructor(start: number) {
    this.ms = start;
  }
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

/**
 * The runner's own loop polls rarely, so occurrences are reached by the test's explicit ticks
 * (a tick waits for any tick already running in the same server).
 */
export const SCHEDULE_ENV: Record<string, string> = {
  ...FAST_JOBS,
  AIRLOCK_SCHEDULE_POLL_MS: '3600000',
  AIRLOCK_SCHEDULE_MIN_INTERVAL_SECONDS: '10',
};

let handles = 0;

export interface Handle {
  airlock: Airlock;
  request<T = any>(method: string, path: string, body?: unknown, key?: string | null): Promise<{ status: number; body: T }>;
}

/** Starts a server on `dataDir` (which the caller removes) with the schedule clock `clock`. */
export async function startOn(dataDir: string, clock: TestClock, env: Record<string, string> = {}): Promise<Handle> {
  const config = loadConfig({
    AIRLOCK_DATA_DIR: dataDir,
    AIRLOCK_PORT: '0',
    AIRLOCK_LOG_LEVEL: 'silent',
    AIRLOCK_POOL_SIZE: '1',
    AIRLOCK_SHUTDOWN_GRACE_MS: '2000',
    AIRLOCK_CGROUP_ROOT: `airlock-test-${process.pid}-sched${++handles}`,
    ...SCHEDULE_ENV,
    ...env,
  });
  const airlock = await startAirlock(config, createLogger(config.logLevel), { scheduleClock: clock.now });
  return {
    airlock,
    async request(method, path, body, key) {
      const headers: Record<string, string> = {};
      const k = key === undefined ? airlock.adminKey.key : key;
      if (k !== null) headers.authorization = `Bearer ${k}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(airlock.url + path, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

export interface RunBody {
  occurrenceAt: string;
  outcome: string;
  jobId?: string;
  reason?: string;
  missed: number;
}

type Requester = Pick<Handle, 'request'>;

export async function putSchedule(h: Requester, tenant: string, name: string, body: Record<string, unknown>): Promise<any> {
  const res = await h.request('PUT', `/v1/tenants/${tenant}/schedules/${name}`, body);
  assert.ok(res.status === 200 || res.status === 201, `PUT schedule: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function getSchedule(h: Requester, tenant: string, name: string): Promise<any> {
  const res = await h.request('GET', `/v1/tenants/${tenant}/schedules/${name}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

export async function runsOf(h: Requester, tenant: string, name: string): Promise<RunBody[]> {
  const res = await h.request('GET', `/v1/tenants/${tenant}/schedules/${name}/runs?limit=500`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.runs as RunBody[];
}

/** Jobs of `fn` whose idempotency key says schedule `name` fired them. */
export async function scheduledJobs(h: Requester, tenant: string, fn: string, name: string): Promise<{ id: string; idempotencyKey: string; status: string }[]> {
  const res = await h.request('GET', `/v1/tenants/${tenant}/jobs?function=${fn}&limit=500`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return (res.body.jobs as { id: string; idempotencyKey?: string; status: string }[])
    .filter((j) => j.idempotencyKey?.startsWith(`schedule:${name}:`))
    .map((j) => ({ id: j.id, idempotencyKey: j.idempotencyKey!, status: j.status }));
}
