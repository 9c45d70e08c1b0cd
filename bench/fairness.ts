// Fairness scenario of `npm run bench`: 8 tenants of equal weight submit short background jobs;
// one of them (heavy) submits 20× more than each of the others (quiet), and submits its burst
// first. Measured on a real server (bwrap, SQLite, the durable queue):
// - Jain's fairness index of completed jobs among the backlogged tenants, counted while every
//   tenant still had work waiting (1 = perfectly equal shares; target >= 0.95);
// - the quiet tenants' p99 queue wait (submission → the job's function starting) with the heavy
//   tenant present, against the same quiet load with the heavy tenant absent (target <= 1.5x).
import { summarize } from './lib/stats.js';
import type { LatencySummary } from './lib/stats.js';
import type { BenchServer, StartServer } from './lib/server.js';

/** What the scenario needs from a server the bench started. */
type FairnessServer = Pick<BenchServer, 'request' | 'close'>;

export interface FairnessOptions {
  start: StartServer;
  /** Jobs each quiet tenant submits; the heavy tenant submits 20× as many. */
  quietJobs: number;
  /** How long each job's function runs, ms. */
  jobMs: number;
  log(msg: string): void;
}

export interface FairnessFigures {
  tenants: number;
  quietJobs: number;
  heavyJobs: number;
  jobMs: number;
  /** Jobs started per tenant while every tenant was backlogged (heavy first). */
  backloggedServed: number[];
  jain: number;
  quietWaitWithHeavy: LatencySummary;
  quietWaitAlone: LatencySummary;
  /** quietWaitWithHeavy.p99 / quietWaitAlone.p99 */
  p99Ratio: number;
}

const TENANTS = 8;
const FUNCTION = `export default async (input) => {
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, input.ms));
  return { started };
};`;

interface Submitted {
  tenant: string;
  id: string;
  submittedAt: number;
}

interface Done extends Submitted {
  started: number;
  finished: number;
}

/** Jain's index of x: (Σx)² / (n · Σx²); 1 when all equal, 1/n when one takes everything. */
export function jainIndex(xs: number[]): number {
  const sum = xs.reduce((s, x) => s + x, 0);
  const squares = xs.reduce((s, x) => s + x * x, 0);
  return squares === 0 ? 1 : (sum * sum) / (xs.length * squares);
}

async function submitAll(server: FairnessServer, plan: { tenant: string; count: number }[], jobMs: number): Promise<Submitted[]> {
  const out: Submitted[] = [];
  for (const { tenant, count } of plan) {
    // 16 submissions in flight at a time, in order.
    for (let i = 0; i < count; i += 16) {
      const batch = Array.from({ length: Math.min(16, count - i) }, async () => {
        const submittedAt = Date.now();
        const res = await server.request('POST', `/v1/tenants/${tenant}/functions/work/jobs`, { input: { ms: jobMs } });
        if (res.status !== 202) throw new Error(`submit for ${tenant}: ${res.status} ${JSON.stringify(res.body)}`);
        out.push({ tenant, id: res.body.jobId as string, submittedAt });
      });
      await Promise.all(batch);
    }
  }
  return out;
}

async function collect(server: FairnessServer, submitted: Submitted[], timeoutMs: number): Promise<Done[]> {
  const byId = new Map(submitted.map((s) => [s.id, s]));
  const tenants = [...new Set(submitted.map((s) => s.tenant))];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done: Done[] = [];
    for (const tenant of tenants) {
      let before = '';
      do {
        const res = await server.request('GET', `/v1/tenants/${tenant}/jobs?function=work&status=succeeded&limit=500${before}`);
        for (const job of res.body.jobs as { id: string; result: { started: number }; updatedAt: string }[]) {
          const s = byId.get(job.id);
          if (s !== undefined) done.push({ ...s, started: job.result.started, finished: Date.parse(job.updatedAt) });
        }
        before = res.body.next === null ? '' : `&before=${res.body.next as string}`;
      } while (before !== '');
    }
    if (done.length === submitted.length) return done;
    if (Date.now() > deadline) throw new Error(`only ${done.length} of ${submitted.length} jobs finished within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One run on a fresh server: deploys, warms every tenant's sandboxes, submits `plan`, waits for all. */
async function runOnce(opts: FairnessOptions, plan: { tenant: string; count: number }[]): Promise<Done[]> {
  const server = await opts.start({});
  try {
    for (const { tenant } of plan) {
      const res = await server.request('PUT', `/v1/tenants/${tenant}/functions/work`, { code: FUNCTION });
      if (res.status !== 201 && res.status !== 200) throw new Error(`deploy for ${tenant}: ${res.status}`);
    }
    // Warm-up: a few jobs per tenant, so sandbox starts are not part of the measurement.
    const warm = await submitAll(server, plan.map(({ tenant }) => ({ tenant, count: 4 })), 1);
    await collect(server, warm, 60_000);
    const submitted = await submitAll(server, plan, opts.jobMs);
    return await collect(server, submitted, 600_000);
  } finally {
    await server.close();
  }
}

export async function runFairness(opts: FairnessOptions): Promise<FairnessFigures> {
  const heavyJobs = opts.quietJobs * 20;
  const quiet = Array.from({ length: TENANTS - 1 }, (_, i) => `quiet-${i + 1}`);
  opts.log(`fairness: ${TENANTS - 1} quiet tenants × ${opts.quietJobs} jobs + heavy × ${heavyJobs} jobs of ${opts.jobMs} ms`);
  const withHeavy = await runOnce(opts, [{ tenant: 'heavy', count: heavyJobs }, ...quiet.map((tenant) => ({ tenant, count: opts.quietJobs }))]);
  opts.log('fairness: the same quiet tenants with the heavy tenant absent');
  const alone = await runOnce(opts, quiet.map((tenant) => ({ tenant, count: opts.quietJobs })));

  // Every tenant is backlogged from its first submission until its last job starts. Work served
  // while all of them were: jobs started between the last tenant's first submission and the first
  // moment a tenant had nothing left waiting.
  const tenants = ['heavy', ...quiet];
  const of = (t: string) => withHeavy.filter((d) => d.tenant === t);
  const windowStart = Math.max(...tenants.map((t) => Math.min(...of(t).map((d) => d.submittedAt))));
  const windowEnd = Math.min(...tenants.map((t) => Math.max(...of(t).map((d) => d.started))));
  const backloggedServed = tenants.map((t) => of(t).filter((d) => d.started >= windowStart && d.started < windowEnd).length);
  const waits = (done: Done[]) => done.filter((d) => d.tenant !== 'heavy').map((d) => d.started - d.submittedAt);
  const quietWaitWithHeavy = summarize(waits(withHeavy));
  const quietWaitAlone = summarize(waits(alone));
  return {
    tenants: TENANTS,
    quietJobs: opts.quietJobs,
    heavyJobs,
    jobMs: opts.jobMs,
    backloggedServed,
    jain: jainIndex(backloggedServed),
    quietWaitWithHeavy,
    quietWaitAlone,
    p99Ratio: quietWaitWithHeavy.p99 / quietWaitAlone.p99,
  };
}
