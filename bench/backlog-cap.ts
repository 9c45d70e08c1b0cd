// `node dist/bench/backlog-cap.js --baseline DIR [--http [--http-rounds N]]`: what the per-tenant backlog cap
// (AIRLOCK_QUEUE_TENANT_BACKLOG) costs webhook ingest, against the build from before it, measured
// in the same run, in alternating rounds. DIR is a checkout of the commit before the cap, built
// (`git archive <commit> | tar -x -C DIR`, `ln -s $PWD/node_modules DIR/`, `npm run build` in DIR).
// Not part of `npm test`.
// - store: group commits (enqueueMany, batches of 256 deliveries of ~250 bytes, sync normal so the
//   disk's flush, the same for all, does not hide the CPU cost) and single enqueues (a job
//   submission), into a queue that already holds 20,000 unfinished items of the same tenant;
// - --http: also the bench's webhook ingest scenario (16 connections, bench/scenarios/webhook-ingest.ts)
//   on a fresh server process per round, the baseline build's and this one's alternating.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EnqueueRequest, QueueStore } from '../src/queue/port.js';
import { SqliteQueue } from '../src/store/sqlite/queue/store.js';
import type { SqliteQueueOptions } from '../src/store/sqlite/queue/store.js';
import { CLI } from '../test/support/process.js';
import { testPolicy } from '../test/queue/support.js';
import { median, num, table } from './lib/stats.js';
import { webhookIngest } from './scenarios/webhook-ingest.js';
import type { BenchServer } from './lib/server.js';

const args = process.argv.slice(2);
const HTTP = args.includes('--http');
const baselineAt = args.indexOf('--baseline');
const BASELINE = baselineAt < 0 ? undefined : args[baselineAt + 1];
if (BASELINE === undefined) {
  process.stderr.write('usage: node dist/bench/backlog-cap.js --baseline DIR [--http [--http-rounds N]]  (DIR: a built checkout of the commit before the cap)\n');
  process.exit(2);
}
const BASE_DIST = join(resolve(BASELINE), 'dist');
const roundsAt = args.indexOf('--http-rounds');
/** Pairs of HTTP rounds (baseline and capped, alternating which goes first). */
const HTTP_ROUNDS = roundsAt < 0 ? 3 : Math.max(1, Math.min(20, Number(args[roundsAt + 1]) || 3));
const ROUNDS = 5;
const BATCHES = 40;
const BATCH = 256;
const SINGLES = 2_000;
const PREFILL = 20_000;

type Variant = 'baseline' | 'counted' | 'capped';
const VARIANTS: readonly Variant[] = ['baseline', 'counted', 'capped'];
const LABEL: Record<Variant, string> = {
  baseline: 'before the cap (baseline build)',
  counted: 'backlog counted, cap 0 (off)',
  capped: 'backlog counted, cap 100000 (default)',
};

type QueueClass = new (file: string, options: SqliteQueueOptions) => QueueStore;

function log(msg: string): void {
  process.stderr.write(`[backlog-cap] ${msg}\n`);
}

const delivery = (n: number): EnqueueRequest => ({
  tenant: 'bench-hooks',
  function: 'hook',
  lane: 'interactive',
  payload: { input: { deliveryId: `dl_${n}`, action: 'opened', number: 42, repository: { full_name: 'acme/app' }, sender: { login: 'octocat' } } },
  idempotencyKey: `dl_${n}`,
});

async function openVariant(dir: string, variant: Variant, Before: QueueClass): Promise<QueueStore> {
  const file = join(dir, `${variant}.db`);
  const policy = testPolicy({ payloadBytes: 65_536, tenantBacklog: variant === 'capped' ? 100_000 : 0 });
  const Queue: QueueClass = variant === 'baseline' ? Before : SqliteQueue;
  const queue = new Queue(file, { policy, batchSync: 'normal' });
  await queue.migrate();
  for (let done = 0; done < PREFILL; done += 1_000) {
    await queue.enqueueMany(Array.from({ length: 1_000 }, (_, i) => ({ ...delivery(done + i), idempotencyKey: `pre_${done + i}` })));
  }
  return queue;
}

/** Deliveries per second through group commits, and single enqueues per second. */
async function storeRound(queue: QueueStore, next: () => number): Promise<{ batched: number; single: number }> {
  const batches = Array.from({ length: BATCHES }, () => Array.from({ length: BATCH }, () => delivery(next())));
  let start = process.hrtime.bigint();
  for (const batch of batches) await queue.enqueueMany(batch);
  const batched = (BATCHES * BATCH) / (Number(process.hrtime.bigint() - start) / 1e9);
  const singles = Array.from({ length: SINGLES }, () => delivery(next()));
  start = process.hrtime.bigint();
  for (const req of singles) await queue.enqueue(req);
  const single = SINGLES / (Number(process.hrtime.bigint() - start) / 1e9);
  return { batched, single };
}

async function storeAB(): Promise<string[][]> {
  const dir = mkdtempSync(join(os.tmpdir(), 'airlock-backlog-bench-'));
  try {
    const module = (await import(pathToFileURL(join(BASE_DIST, 'src/store/sqlite/queue/store.js')).href)) as { SqliteQueue: QueueClass };
    const queues = new Map<Variant, QueueStore>();
    for (const variant of VARIANTS) queues.set(variant, await openVariant(dir, variant, module.SqliteQueue));
    let n = PREFILL;
    const results = new Map<Variant, { batched: number[]; single: number[] }>(VARIANTS.map((v) => [v, { batched: [], single: [] }]));
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so no variant always runs first (caches, the other tenants of the machine).
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
      for (const variant of order) {
        const r = await storeRound(queues.get(variant)!, () => n++);
        results.get(variant)!.batched.push(r.batched);
        results.get(variant)!.single.push(r.single);
      }
      log(`store round ${round + 1}/${ROUNDS} done`);
    }
    const counted = await queues.get('capped')!.backlog('bench-hooks');
    log(`the capped queue counts ${counted} unfinished items of the tenant`);
    for (const queue of queues.values()) await queue.close();
    const base = results.get('baseline')!;
    return VARIANTS.map((variant) => {
      const r = results.get(variant)!;
      return [
        LABEL[variant],
        num(median(r.batched)),
        `${((median(r.batched) / median(base.batched) - 1) * 100).toFixed(1)}%`,
        num(median(r.single)),
        `${((median(r.single) / median(base.single) - 1) * 100).toFixed(1)}%`,
      ];
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts `airlock server` of `cli` (this build's or the baseline's) on a fresh data dir; resolves once it listens. */
async function startServer(cli: string): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'airlock-backlog-bench-'));
  const child = spawn(process.execPath, [cli, 'server'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', AIRLOCK_PORT: '0', AIRLOCK_LOG_LEVEL: 'warn', AIRLOCK_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no server banner within 20 s: ${output}`)), 20_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const found = /http:\/\/127\.0\.0\.1:\d+/.exec(output);
      if (found !== null) {
        clearTimeout(timer);
        done(found[0]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => fail(new Error(`the server exited with ${code}: ${output}`)));
  });
  const key = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
  return {
    url,
    key,
    async request(method, path, body) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
    async close() {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function httpAB(): Promise<string[][]> {
  const rates: Record<'baseline' | 'capped', number[]> = { baseline: [], capped: [] };
  for (let round = 0; round < HTTP_ROUNDS; round++) {
    for (const variant of round % 2 === 0 ? (['baseline', 'capped'] as const) : (['capped', 'baseline'] as const)) {
      const server = await startServer(variant === 'baseline' ? join(BASE_DIST, 'src/cli/main.js') : CLI);
      try {
        const figures = await webhookIngest(server, 5, 1);
        if (figures.stored < figures.accepted) throw new Error(`${variant}: ${figures.accepted} accepted but ${figures.stored} stored`);
        rates[variant].push(figures.acceptedPerSecond);
        log(`http round ${round + 1}/${HTTP_ROUNDS} ${variant}: ${num(figures.acceptedPerSecond)} 202s/s`);
      } finally {
        await server.close();
      }
    }
  }
  const base = median(rates.baseline);
  return (['baseline', 'capped'] as const).map((variant) => [
    LABEL[variant],
    rates[variant].map((r) => num(r)).join(', '),
    num(median(rates[variant])),
    `${((median(rates[variant]) / base - 1) * 100).toFixed(1)}%`,
  ]);
}

const cpu = os.cpus();
log(`${cpu.length} cpus (${cpu[0]?.model ?? 'unknown'}), node ${process.version}`);
log(`baseline: ${BASE_DIST}`);
log(`store: ${ROUNDS} rounds; each: ${BATCHES} group commits of ${BATCH} deliveries, then ${SINGLES} single enqueues; ${PREFILL} items queued first`);
process.stdout.write(
  table([['store variant', 'deliveries/s (batches)', 'vs before', 'enqueues/s (single)', 'vs before'], ...(await storeAB())]) + '\n',
);
if (HTTP) {
  log('http: webhook ingest at 16 connections, 5 s per round, a fresh server per round');
  process.stdout.write(table([['server variant', '202s/s per round', 'median', 'vs before'], ...(await httpAB())]) + '\n');
}
