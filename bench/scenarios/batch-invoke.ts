// Bench scenario "batch invoke": inputs answered per second when a caller sends 16 inputs per
// request (POST …/invoke-batch, 4 connections) against the same inputs sent one per request
// (POST …/invoke, 16 connections), rounds alternating on one server, so both keep 16 inputs in
// flight. Each input is an execution of its own either way (record, limits, admission); what the
// batch saves is the HTTP round trip per input. A last request checks that a batch's inputs all
// succeeded, since the load generator counts answers, not what they hold.
import { load, post } from '../lib/http.js';
import type { BenchServer } from '../lib/server.js';
import { ECHO_FUNCTION } from '../lib/echo.js';

type BatchServer = Pick<BenchServer, 'url' | 'key' | 'request'>;

export interface BatchFigures {
  inputsPerBatch: number;
  /** Median rounds: inputs answered per second one per request, and in batches. */
  singlePerSecond: number;
  batchPerSecond: number;
  /** Batch over single, per round pair, and their median. */
  perRound: number[];
  ratio: number;
}

const INPUTS = 16;

export async function batchInvoke(server: BatchServer, seconds: number, rounds: number): Promise<BatchFigures> {
  const deployed = await server.request('PUT', '/v1/tenants/bench-batch/functions/echo', { code: ECHO_FUNCTION });
  if (deployed.status !== 201 && deployed.status !== 200) throw new Error(`deploy failed: ${JSON.stringify(deployed.body)}`);
  const headers = { authorization: `Bearer ${server.key}` };
  const single = { url: server.url, path: '/v1/tenants/bench-batch/functions/echo/invoke', headers, body: JSON.stringify({ input: { hello: 'world' } }) };
  const batch = {
    url: server.url,
    path: '/v1/tenants/bench-batch/functions/echo/invoke-batch',
    headers,
    body: JSON.stringify({ inputs: Array.from({ length: INPUTS }, (_, i) => ({ hello: 'world', i })) }),
  };
  await load(single, 16, 1); // warm up both paths
  await load(batch, 4, 1);
  const singles: number[] = [];
  const batches: number[] = [];
  for (let r = 0; r < rounds; r++) {
    singles.push((await load(single, 16, seconds)).okPerSecond);
    batches.push((await load(batch, 4, seconds)).okPerSecond * INPUTS);
  }
  const check = JSON.parse((await post(batch)).body) as { results?: { status: string }[] };
  const ok = check.results?.filter((r) => r.status === 'succeeded').length ?? 0;
  if (ok !== INPUTS) throw new Error(`a batch answered ${ok} of ${INPUTS} inputs succeeded: ${JSON.stringify(check).slice(0, 300)}`);
  const perRound = singles.map((s, i) => batches[i]! / s);
  return { inputsPerBatch: INPUTS, singlePerSecond: median(singles), batchPerSecond: median(batches), perRound, ratio: median(perRound) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
