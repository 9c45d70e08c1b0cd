// Bench scenario "durable webhook ingest": 202s per second at 16 connections against a real
// server (deliveries group-committed to SQLite before each 202, the job worker processing them
// meanwhile on the same machine), then a check that every 202 left a stored job. With `verify`,
// the webhook checks GitHub signatures (x-hub-signature-256, key from a tenant signing secret),
// and every delivery is signed: the same load with host-side verification on.
import { createHmac } from 'node:crypto';
import { load } from '../lib/http.js';
import type { LoadResult } from '../lib/http.js';
import type { BenchServer } from '../lib/server.js';

/** What the scenario needs from a started server. */
type IngestServer = Pick<BenchServer, 'url' | 'request'>;

export interface IngestFigures {
  connections: number;
  /** Median round: 202s per second, over the whole run. */
  acceptedPerSecond: number;
  perRound: number[];
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Deliveries stored (jobs of the function) after the run, and 202s counted by the client. */
  stored: number;
  accepted: number;
}

const HANDLER = 'export default async (input) => ({ ok: true, id: input.deliveryId })';
// A small GitHub-like delivery.
const BODY = JSON.stringify({ action: 'opened', number: 42, repository: { full_name: 'acme/app' }, sender: { login: 'octocat' } });

async function countJobs(server: IngestServer): Promise<number> {
  let total = 0;
  let before: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const qs: string = `function=hook&limit=500${before === null ? '' : `&before=${before}`}`;
    const res = await server.request('GET', `/v1/tenants/bench-hooks/jobs?${qs}`);
    if (res.status !== 200) throw new Error(`listing jobs failed: ${res.status} ${JSON.stringify(res.body)}`);
    total += (res.body.jobs as unknown[]).length;
    if (res.body.next === null) return total;
    before = res.body.next as string;
  }
  throw new Error('too many pages of jobs');
}

/** The signing key of the verified variant (a bench value, not a secret). */
const SIGNING_KEY = 'bench-signing-key-0123456789abcdef';

async function verifyGithub(server: IngestServer): Promise<Record<string, string>> {
  const secret = await server.request('PUT', '/v1/tenants/bench-hooks/secrets/gh-hook', { value: SIGNING_KEY, hosts: [] });
  if (secret.status !== 201 && secret.status !== 200) throw new Error(`storing the signing key failed: ${JSON.stringify(secret.body)}`);
  const set = await server.request('PUT', '/v1/tenants/bench-hooks/functions/hook/webhook/verify', { preset: 'github', secret: 'gh-hook' });
  if (set.status !== 201 && set.status !== 200) throw new Error(`setting verification failed: ${JSON.stringify(set.body)}`);
  return { 'x-hub-signature-256': `sha256=${createHmac('sha256', SIGNING_KEY).update(BODY).digest('hex')}` };
}

export async function webhookIngest(server: IngestServer, seconds: number, rounds: number, options: { verify?: boolean } = {}): Promise<IngestFigures> {
  const deployed = await server.request('PUT', '/v1/tenants/bench-hooks/functions/hook', { code: HANDLER });
  if (deployed.status !== 201 && deployed.status !== 200) throw new Error(`deploy failed: ${JSON.stringify(deployed.body)}`);
  const path = (deployed.body as { webhook: { path: string } }).webhook.path;
  const signature = options.verify === true ? await verifyGithub(server) : {};
  const target = { url: server.url, path, headers: { 'x-github-event': 'pull_request', ...signature }, body: BODY };
  await load(target, 16, 1); // warm up
  const results: LoadResult[] = [];
  for (let r = 0; r < rounds; r++) results.push(await load(target, 16, seconds));
  const sorted = [...results].sort((a, b) => a.okPerSecond - b.okPerSecond);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  // Warm-up deliveries were accepted and stored too.
  const accepted = results.reduce((s, r) => s + r.ok, 0);
  return {
    connections: 16,
    acceptedPerSecond: median.okPerSecond,
    perRound: results.map((r) => r.okPerSecond),
    p50: median.p50,
    p99: median.p99,
    non2xx: results.reduce((s, r) => s + r.non2xx, 0),
    errors: results.reduce((s, r) => s + r.errors, 0),
    stored: await countJobs(server),
    accepted,
  };
}
