#!/usr/bin/env node
// Resumable sync, end to end, against a running Airlock server:
//  1. starts a fake paged API on 127.0.0.1 (slow on purpose: every page takes PAGE_MS),
//  2. deploys sync-function.ts granted egress to that API only,
//  3. submits it as a job whose slices are capped at MAX_RUN_MS, far less than the whole sync,
//  4. prints the API's traffic and the job's progress (slices, checkpoints) until it finishes,
//  5. prints the result and checks it against what the API served.
// Environment: AIRLOCK_URL (default http://127.0.0.1:8080), AIRLOCK_KEY (default: .airlock/admin.key),
// TENANT (acme), PAGES (20), PAGE_SIZE (5), PAGE_MS (150), MAX_RUN_MS (1000).
// The server must let functions reach 127.0.0.1: start it with AIRLOCK_EGRESS_ALLOW_CIDRS=127.0.0.1/32.
import { readFileSync } from 'node:fs';
import http from 'node:http';

const env = process.env;
const AIRLOCK_URL = (env.AIRLOCK_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const KEY = env.AIRLOCK_KEY || readFileSync(`${env.AIRLOCK_DATA_DIR || '.airlock'}/admin.key`, 'utf8').trim();
const TENANT = env.TENANT || 'acme';
const PAGES = Number(env.PAGES || 20);
const PAGE_SIZE = Number(env.PAGE_SIZE || 5);
const PAGE_MS = Number(env.PAGE_MS || 150);
const MAX_RUN_MS = Number(env.MAX_RUN_MS || 1000);
const TIMEOUT_MS = Number(env.TIMEOUT_MS || 120_000);

const say = (line) => process.stdout.write(`${line}\n`);

// ---- 1. the fake paged API: GET /items?cursor=N → {items: [{id, amount}], next} --------------
const served = new Map(); // cursor → times served
const api = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://api');
  const cursor = Number(url.searchParams.get('cursor') ?? '0');
  if (url.pathname !== '/items' || !Number.isInteger(cursor) || cursor < 0 || cursor >= PAGES) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such page"}');
    return;
  }
  const times = (served.get(cursor) ?? 0) + 1;
  served.set(cursor, times);
  say(`api: page ${cursor + 1}/${PAGES} requested${times > 1 ? ' again (the slice before was cut before it saved this page)' : ''}`);
  const items = Array.from({ length: PAGE_SIZE }, (_, i) => {
    const id = cursor * PAGE_SIZE + i + 1;
    return { id, amount: id };
  });
  const next = cursor + 1 < PAGES ? String(cursor + 1) : null;
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items, next }));
  }, PAGE_MS);
});
await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve));
const port = api.address().port;
const apiUrl = `http://127.0.0.1:${port}`;
say(`fake API listening on ${apiUrl} (${PAGES} pages of ${PAGE_SIZE} items, ${PAGE_MS} ms each)`);

async function airlock(method, path, body) {
  const res = await fetch(AIRLOCK_URL + path, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${data.error?.code}: ${data.error?.message}`);
  return data;
}

let exitCode = 1;
try {
  // ---- 2. deploy the job function, granted egress to the fake API only ------------------------
  const code = readFileSync(new URL('./sync-function.ts', import.meta.url), 'utf8');
  const fn = await airlock('PUT', `/v1/tenants/${TENANT}/functions/sync-pages`, {
    code,
    runtime: 'typescript',
    egress: { allow: [{ host: '127.0.0.1', ports: [port], methods: ['GET'], pathPrefixes: ['/items'] }] },
  });
  say(`deployed ${TENANT}/sync-pages version ${fn.version}`);

  // ---- 3. submit the job: slices of MAX_RUN_MS, far shorter than the whole sync -----------------
  const { jobId } = await airlock('POST', `/v1/tenants/${TENANT}/functions/sync-pages/jobs`, {
    input: { api: apiUrl },
    maxRunMs: MAX_RUN_MS,
  });
  say(`submitted job ${jobId} (slices capped at ${MAX_RUN_MS} ms; the sync needs about ${Math.ceil((PAGES * PAGE_MS) / MAX_RUN_MS)} slices)`);

  // ---- 4. follow it ----------------------------------------------------------------------------
  const deadline = Date.now() + TIMEOUT_MS;
  let job;
  let shown = '';
  let shownError = '';
  for (;;) {
    job = await airlock('GET', `/v1/tenants/${TENANT}/jobs/${jobId}`);
    const line = `job: ${job.status}, slice ${job.runs}, failed attempts ${job.attempts}${job.checkpointAt ? `, last checkpoint ${job.checkpointAt}` : ''}`;
    if (line !== shown) say((shown = line));
    const error = job.error === undefined ? '' : `job: last failed attempt: ${job.error.code}: ${job.error.message}`;
    if (error !== shownError) say((shownError = error));
    if (['succeeded', 'failed', 'dead', 'cancelled'].includes(job.status)) break;
    if (Date.now() > deadline) throw new Error(`the job did not finish within ${TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  // ---- 5. the result, checked against what the API served ---------------------------------------
  if (job.status !== 'succeeded') throw new Error(`the job ended ${job.status}: ${JSON.stringify(job.error)}`);
  const n = PAGES * PAGE_SIZE;
  const expected = { pages: PAGES, items: n, total: (n * (n + 1)) / 2 };
  const refetched = [...served.values()].reduce((sum, times) => sum + times - 1, 0);
  say(`result: ${JSON.stringify(job.result)}`);
  say(`slices: ${job.runs}, pages fetched again after a cut: ${refetched}`);
  if (JSON.stringify(job.result) !== JSON.stringify(expected)) throw new Error(`expected ${JSON.stringify(expected)}`);
  say('ok: every page counted exactly once across all slices');
  exitCode = 0;
} catch (err) {
  process.stderr.write(`resumable-sync failed: ${err.message}\n`);
  if (/EGRESS_DENIED|refused|private|loopback/i.test(err.message)) {
    process.stderr.write('hint: start the server with AIRLOCK_EGRESS_ALLOW_CIDRS=127.0.0.1/32 so functions may call the local API\n');
  }
} finally {
  api.close();
}
process.exit(exitCode);
