// Bench scenario "large inputs (or results) beside small calls": one tenant's small invokes, one
// at a time, alone (the baseline) and while another tenant keeps two calls with ~4 MiB inputs in
// flight, or two calls that each answer a ~4 MiB result, rounds alternating. What it shows: how
// much one tenant's large bodies hold up another's calls on the server's own thread (request
// bodies of 64 KiB and more are parsed on the parser thread; a result is serialized once).
import { post } from '../lib/http.js';
import type { Target } from '../lib/http.js';
import { median, summarize } from '../lib/stats.js';
import type { LatencySummary } from '../lib/stats.js';
import type { BenchServer } from '../lib/server.js';

export interface LargeInputFigures {
  /** The large body's size (the request's, or the answer's for large results), bytes. */
  largeBodyBytes: number;
  /** The quiet tenant's invoke latency alone and beside the large calls (median round by p99). */
  quietAlone: LatencySummary;
  quietBesideLarge: LatencySummary;
  /** Large invokes answered per second (median round). */
  largePerSecond: number;
}

const HANDLER = 'export default async (input) => ({ items: Array.isArray(input) ? input.length : 0 })';

/** About 4 MiB of JSON made of small objects, like a batch of traces. */
function makeItems(): object[] {
  return Array.from({ length: 40_000 }, (_, i) => ({ id: i, role: 'user', text: `the quick brown fox jumps over the lazy dog ${i}`, score: i / 7 }));
}
/** Answers the same items as its result, made once when the module loads. */
const LARGE_RESULT_HANDLER = `const items = (${makeItems.toString()})(); export default async () => items;`;
/** A result limit that lets it through (AIRLOCK_MAX_RESULT_BYTES must allow it too). */
const LARGE_RESULT_BYTES = 5 * 1024 * 1024;

function largeBody(): string {
  return JSON.stringify({ input: makeItems() });
}

async function calls(target: Target, seconds: number): Promise<number[]> {
  const out: number[] = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const r = await post(target);
    if (r.status !== 200) throw new Error(`unexpected ${r.status}: ${r.body.slice(0, 300)}`);
    out.push(r.ms);
  }
  return out;
}

/** The quiet tenant's calls alone, then beside two senders of `large`, round after round. */
async function besideLarge(quiet: Target, large: Target, seconds: number, rounds: number): Promise<LargeInputFigures> {
  await calls(quiet, 1);
  const first = await post(large);
  if (first.status !== 200) throw new Error(`large invoke: unexpected ${first.status}: ${first.body.slice(0, 300)}`);
  const alone: LatencySummary[] = [];
  const beside: LatencySummary[] = [];
  const largeRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    alone.push(summarize(await calls(quiet, seconds)));
    let stop = false;
    let answered = 0;
    const started = Date.now();
    const senders = [0, 1].map(async () => {
      while (!stop) {
        const r = await post(large);
        if (r.status !== 200) throw new Error(`large invoke: unexpected ${r.status}: ${r.body.slice(0, 300)}`);
        answered++;
      }
    });
    try {
      beside.push(summarize(await calls(quiet, seconds)));
    } finally {
      stop = true;
      await Promise.all(senders);
    }
    largeRates.push(answered / ((Date.now() - started) / 1000));
  }
  const byP99 = (xs: LatencySummary[]): LatencySummary => [...xs].sort((a, b) => a.p99 - b.p99)[Math.floor(xs.length / 2)]!;
  const largeBodyBytes = Math.max(Buffer.byteLength(large.body), Buffer.byteLength(first.body));
  return { largeBodyBytes, quietAlone: byP99(alone), quietBesideLarge: byP99(beside), largePerSecond: median(largeRates) };
}

async function deployAll(server: BenchServer, deploys: [string, string, object][]): Promise<void> {
  for (const [tenant, name, body] of deploys) {
    const res = await server.request('PUT', `/v1/tenants/${tenant}/functions/${name}`, body);
    if (res.status !== 201 && res.status !== 200) throw new Error(`deploy failed: ${JSON.stringify(res.body)}`);
  }
}

function target(server: BenchServer, tenant: string, name: string, body: string): Target {
  return { url: server.url, path: `/v1/tenants/${tenant}/functions/${name}/invoke`, headers: { authorization: `Bearer ${server.key}` }, body };
}

export async function largeInputs(server: BenchServer, seconds: number, rounds: number): Promise<LargeInputFigures> {
  await deployAll(server, [['bench-quiet', 'count', { code: HANDLER }], ['bench-large', 'count', { code: HANDLER }]]);
  const quiet = target(server, 'bench-quiet', 'count', '{"input":{"hello":"world"}}');
  return besideLarge(quiet, target(server, 'bench-large', 'count', largeBody()), seconds, rounds);
}

/** The same beside calls that each answer a ~4 MiB result; the server needs AIRLOCK_MAX_RESULT_BYTES at 5 MiB. */
export async function largeResults(server: BenchServer, seconds: number, rounds: number): Promise<LargeInputFigures> {
  await deployAll(server, [
    ['bench-quiet', 'count', { code: HANDLER }],
    ['bench-large', 'items', { code: LARGE_RESULT_HANDLER, limits: { resultBytes: LARGE_RESULT_BYTES } }],
  ]);
  const quiet = target(server, 'bench-quiet', 'count', '{"input":{"hello":"world"}}');
  return besideLarge(quiet, target(server, 'bench-large', 'items', '{}'), seconds, rounds);
}

export const LARGE_RESULTS_ENV = { AIRLOCK_MAX_RESULT_BYTES: String(LARGE_RESULT_BYTES) };
