// Red-team harness: one real Airlock server per test file, started as a child process with real
// bwrap isolation and random canary secrets planted where a tenant would look for them (the
// server's own environment, under an obvious and an innocuous name, and a file in its data
// dir, next to the admin key). `attack()` deploys a tenant function, invokes it over HTTP and
// fetches the stored execution record; every answer is checked by `assertNoCanary()`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../support/process.js';

export interface LogLineView {
  ts: number;
  level: string;
  msg: string;
}

export interface ExecutionView {
  executionId: string;
  status: string;
  result?: unknown;
  error?: { type: string; message: string; stack?: string };
  logs: LogLineView[];
  start?: string;
}

export interface AttackAnswer {
  /** HTTP status of the invoke call. */
  http: number;
  /** Body of the invoke call (an execution, or an error body for a 4xx). */
  body: ExecutionView;
  /** The stored execution record (GET .../executions/{id}), when the call ran. */
  record?: Record<string, unknown>;
}

export interface AttackOptions {
  tenant?: string;
  /** Function name; default derived from the attack name. */
  fn?: string;
  input?: unknown;
  limits?: Record<string, number>;
  isolation?: 'tenant' | 'function' | 'execution';
}

export interface RedteamServer {
  url: string;
  pid: number;
  dataDir: string;
  /** Every secret value planted; none may ever come back from a sandbox. */
  secrets: readonly string[];
  headers: Record<string, string>;
  attack(name: string, code: string, opts?: AttackOptions): Promise<AttackAnswer>;
  deploy(tenant: string, fn: string, code: string, extra?: Record<string, unknown>): Promise<Response>;
  invoke(tenant: string, fn: string, input?: unknown): Promise<AttackAnswer>;
  healthy(): Promise<boolean>;
  assertNoCanary(answer: unknown): void;
  /** Server output so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** Size of each sandbox's /tmp and /dev/shm in the red-team servers, bytes. */
export const RT_TMP_BYTES = 4 * 1024 * 1024;
/** Open-files limit the red-team server (and so every sandbox) runs under. */
export const RT_NOFILE = 4096;
/** AIRLOCK_SANDBOX_NOFILE of red-team servers: each sandbox's own open-files limit, below the server's. */
export const RT_SANDBOX_NOFILE = 512;

const random = (): string => randomBytes(12).toString('hex');

/** Polls `check` until it returns a value other than undefined, or fails at the deadline. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Host pids whose command line contains `marker` (bounded scan of /proc). */
export function hostPidsWithMarker(marker: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc').slice(0, 100_000)) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(marker)) out.push(Number(entry));
    } catch {
      // exited while scanning
    }
  }
  return out;
}

export async function startRedteamServer(extraEnv: Record<string, string> = {}): Promise<RedteamServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-rt-'));
  const envCanary = `rt-env-${random()}`;
  const quietCanary = `rt-quiet-${random()}`;
  const fileCanary = `rt-file-${random()}`;
  writeFileSync(join(dataDir, 'secrets.env'), `STRIPE_KEY=${fileCanary}\n`, { mode: 0o600 });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AIRLOCK_PORT: '0',
    AIRLOCK_LOG_LEVEL: 'warn',
    AIRLOCK_DATA_DIR: dataDir,
    AIRLOCK_POOL_SIZE: '2',
    AIRLOCK_SANDBOX_TMP_BYTES: String(RT_TMP_BYTES),
    AIRLOCK_SANDBOX_NOFILE: String(RT_SANDBOX_NOFILE),
    // Small enough that the spawner's share of the open-files limit fits under RT_SANDBOX_NOFILE.
    AIRLOCK_MAX_SANDBOXES: '40',
    // A cgroup root of its own: red-team servers of other test files never sweep its groups.
    AIRLOCK_CGROUP_ROOT: `airlock-rt-${random()}`,
    AIRLOCK_CANARY: envCanary,
    BUILD_FLAVOR: quietCanary,
    ...extraEnv,
  };
  // The server's limit, as an operator would set it (systemd LimitNOFILE=); sandboxes get their own.
  const child = spawn('/bin/sh', ['-c', `ulimit -n ${RT_NOFILE} && exec "$0" "$@"`, process.execPath, CLI, 'server'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = (): void => rmSync(dataDir, { recursive: true, force: true });
  let url: string;
  try {
    url = await waitFor('the server to listen', () => /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? (child.exitCode !== null ? 'exited' : undefined), 30_000);
    if (url === 'exited') throw new Error(`server exited before listening:\n${out}`);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    cleanup();
    throw err;
  }
  const pid = child.pid!;
  const adminKey = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
  const secretsKey = readFileSync(join(dataDir, 'secret.key'), 'utf8').trim();
  const secrets = [envCanary, quietCanary, fileCanary, adminKey, secretsKey];
  // The canaries really are where an attacker would look for them.
  const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  assert.ok(environ.includes(envCanary) && environ.includes(quietCanary), 'canaries planted in the server environment');
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };

  function assertNoCanary(answer: unknown): void {
    const text = typeof answer === 'string' ? answer : JSON.stringify(answer);
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), `a planted secret leaked: ${text.slice(0, 2000)}`);
    }
  }

  async function deploy(tenant: string, fn: string, code: string, extra: Record<string, unknown> = {}): Promise<Response> {
    return fetch(`${url}/v1/tenants/${tenant}/functions/${fn}`, { method: 'PUT', headers, body: JSON.stringify({ code, ...extra }) });
  }

  async function invoke(tenant: string, fn: string, input?: unknown): Promise<AttackAnswer> {
    const res = await fetch(`${url}/v1/tenants/${tenant}/functions/${fn}/invoke`, {
      method: 'POST',
      headers,
      body: JSON.stringify(input === undefined ? {} : { input }),
    });
    const text = await res.text();
    assertNoCanary(text);
    const body = JSON.parse(text) as ExecutionView;
    const answer: AttackAnswer = { http: res.status, body };
    if (res.status === 200) {
      // Records are written in batches: poll until this one is stored.
      answer.record = await waitFor('the execution record', async () => {
        const r = await fetch(`${url}/v1/tenants/${tenant}/executions/${body.executionId}`, { headers });
        if (r.status === 404) return undefined;
        const recText = await r.text();
        assertNoCanary(recText);
        return JSON.parse(recText) as Record<string, unknown>;
      });
    }
    return answer;
  }

  async function attack(name: string, code: string, opts: AttackOptions = {}): Promise<AttackAnswer> {
    const tenant = opts.tenant ?? 'mallory';
    const fn = opts.fn ?? name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').slice(0, 60);
    const extra: Record<string, unknown> = {};
    if (opts.limits !== undefined) extra.limits = opts.limits;
    if (opts.isolation !== undefined) extra.isolation = opts.isolation;
    const dep = await deploy(tenant, fn, code, extra);
    const depText = await dep.text();
    assert.ok(dep.status === 200 || dep.status === 201, `deploy ${name}: ${dep.status} ${depText}`);
    const answer = await invoke(tenant, fn, opts.input);
    assertNoCanary(answer);
    return answer;
  }

  return {
    url,
    pid,
    dataDir,
    secrets,
    headers,
    attack,
    deploy,
    invoke,
    assertNoCanary,
    healthy: async () => (await fetch(`${url}/healthz`)).status === 200,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}

/** The result of a probe that must have run to completion. */
export function resultOf<T = Record<string, unknown>>(answer: AttackAnswer): T {
  assert.equal(answer.http, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.status, 'succeeded', JSON.stringify(answer.body));
  return answer.body.result as T;
}

/**
 * Sends an oversized body the way an attacker would and returns the server's answer, which may
 * come (and the connection close) before the body is all sent. `declared`: announce the size in
 * Content-Length and send nothing until the server answers; otherwise stream it chunked, in
 * 64 KiB pieces, until the server answers or `bytes` are sent. A streamed upload can also end
 * with the server closing the connection mid-body: its 413 may then be lost to the reset
 * (status 0, text 'RESET'); callers check that nothing was accepted.
 */
export function sendOversized(
  url: string,
  method: string,
  headers: Record<string, string>,
  bytes: number,
  declared: boolean,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const head: Record<string, string | number> = { ...headers };
    if (declared) head['content-length'] = bytes;
    else head['transfer-encoding'] = 'chunked';
    const req = request(url, { method, headers: head });
    let answered = false;
    const timer = setTimeout(() => (req.destroy(), reject(new Error('the server never answered the oversized request'))), 30_000);
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      const done = (): void => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, text });
      };
      res.on('end', done);
      res.on('error', done);
    });
    // The server cutting the upload short is expected: the answer, if it arrived, decides.
    req.on('error', () => {});
    req.on('close', () => {
      if (answered) return;
      clearTimeout(timer);
      resolve({ status: 0, text: 'RESET' });
    });
    if (declared) {
      req.flushHeaders();
      return;
    }
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = (sent: number): void => {
      if (answered || req.destroyed) return;
      if (sent === 0) req.write('{"input":"');
      if (sent >= bytes) {
        req.end('"}');
        return;
      }
      if (req.write(chunk)) setImmediate(() => pump(sent + chunk.length));
      else req.once('drain', () => pump(sent + chunk.length));
    };
    pump(0);
  });
}
