// HTTP helpers for benchmarks: one keep-alive JSON request with a precise timer, and a
// throughput run at N connections with autocannon.
import http from 'node:http';
import autocannon from 'autocannon';

export interface Target {
  url: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** Sends one POST and resolves with {status, body, ms}. */
export function post(target: Target): Promise<{ status: number; body: string; ms: number }> {
  const url = new URL(target.path, target.url);
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { ...target.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(target.body) } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      },
    );
    req.on('error', reject);
    req.end(target.body);
  });
}

/** Sequential requests on one keep-alive connection; returns per-request latencies (ms). */
export async function sequential(target: Target, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const r = await post(target);
    if (r.status !== 200) throw new Error(`unexpected ${r.status}: ${r.body.slice(0, 300)}`);
    out.push(r.ms);
  }
  return out;
}

export interface LoadResult {
  rps: number;
  /** 2xx answers, and 2xx answers per second over the whole run. */
  ok: number;
  okPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Closed-loop load with `connections` keep-alive connections for `seconds`. */
export async function load(target: Target, connections: number, seconds: number): Promise<LoadResult> {
  const result = await autocannon({
    url: new URL(target.path, target.url).toString(),
    method: 'POST',
    headers: { ...target.headers, 'content-type': 'application/json' },
    body: target.body,
    connections,
    duration: seconds,
  });
  return {
    rps: result.requests.average,
    ok: result['2xx'],
    okPerSecond: result['2xx'] / (result.duration || seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}
