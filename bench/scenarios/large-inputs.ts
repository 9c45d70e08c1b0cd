// Bench scenario "large inputs beside small calls": one tenant's small invokes, one at a time,
// alone (the baseline) and while another tenant keeps two ~4 MiB inputs in flight, rounds
// alternating. What it shows: how much one tenant's large bodies hold up another's calls on the
// server's own thread (request bodies of 64 KiB and more are parsed on the parser thread).
import { post } from '../lib/http.js';
import type { Target } from '../lib/http.js';
import { median, summarize } from '../lib/stats.js';
import type { LatencySummary } from '../lib/stats.js';
import type { BenchServer } from '../lib/server.js';

export interface LargeInputFigures {
  /** The large body's size, bytes. */
  largeBodyBytes: number;
  /** The quiet tenant's invoke latency alone and beside the large inputs (median round by p99). */
  quietAlone: LatencySummary;
  quietBesideLarge: LatencySummary;
  /** Large invokes answered per second (median round). */
  largePerSecond: number;
}

const HANDLER = 'export default async (input) => ({ items: Array.isArray(input) ? input.length : 0 })';

/** About 4 MiB of JSON made of small objects, like a batch of traces. */
function largeBody(): string {
  const items = Array.from({ length: 40_000 }, (_, i) => ({ id: i, role: 'user', text: `the quick brown fox jumps over the lazy dog ${i}`, score: i / 7 }));
  return JSON.stringify({ input: items });
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

export async function largeInputs(server: BenchServer, seconds: number, rounds: number): Promise<LargeInputFigures> {
  for (const tenant of ['bench-quiet', 'bench-large']) {
    const res = await server.request('PUT', `/v1/tenants/${tenant}/functions/count`, { code: HANDLER });
    if (res.status !== 201 && res.status !== 200) throw new Error(`deploy failed: ${JSON.stringify(res.body)}`);
  }
  const headers = { authorization: `Bearer ${server.key}` };
  const quiet: Target = { url: server.url, path: '/v1/tenants/bench-quiet/functions/count/invoke', headers, body: '{"input":{"hello":"world"}}' };
  const large: Target = { url: server.url, path: '/v1/tenants/bench-large/functions/count/invoke', headers, body: largeBody() };
  await calls(quiet, 1);
  await post(large);
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
  return { largeBodyBytes: Buffer.byteLength(large.body), quietAlone: byP99(alone), quietBesideLarge: byP99(beside), largePerSecond: median(largeRates) };
}
