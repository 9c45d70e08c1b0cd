// Starts a real Airlock server in-process for tests: temp data dir (or the test's own
// AIRLOCK_DATA_DIR), random port, real bwrap sandboxes (unless the test asks for the process
// isolator), real SQLite. `close()` stops it and removes the data dir if it made it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock } from '../../src/app.js';
import type { Airlock, AirlockOverrides } from '../../src/app.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import type { Logger } from '../../src/core/logger.js';

export interface TestServer {
  airlock: Airlock;
  url: string;
  adminKey: string;
  dataDir: string;
  /** JSON request; `key` defaults to the admin key, null sends none. */
  request<T = any>(method: string, path: string, body?: unknown, key?: string | null): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

let servers = 0;

/** `logger` replaces the server's own (silent unless AIRLOCK_LOG_LEVEL is given), e.g. a captureLog() one. */
export async function startTestServer(env: Record<string, string> = {}, overrides: AirlockOverrides = {}, logger?: Logger): Promise<TestServer> {
  const given = env.AIRLOCK_DATA_DIR;
  const dataDir = given ?? mkdtempSync(join(tmpdir(), 'airlock-test-'));
  const config = loadConfig({
    AIRLOCK_DATA_DIR: dataDir,
    AIRLOCK_PORT: '0',
    AIRLOCK_LOG_LEVEL: 'silent',
    AIRLOCK_POOL_SIZE: '1',
    AIRLOCK_SHUTDOWN_GRACE_MS: '2000',
    // A cgroup root per test server: concurrent test servers never sweep each other's groups.
    AIRLOCK_CGROUP_ROOT: `airlock-test-${process.pid}-s${++servers}`,
    ...env,
  });
  let airlock: Airlock;
  try {
    airlock = await startAirlock(config, logger ?? createLogger(config.logLevel), overrides);
  } catch (err) {
    if (given === undefined) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const adminKey = airlock.adminKey.key;
  return {
    airlock,
    url: airlock.url,
    adminKey,
    dataDir,
    async request(method, path, body, key) {
      const headers: Record<string, string> = {};
      const k = key === undefined ? adminKey : key;
      if (k !== null) headers.authorization = `Bearer ${k}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(airlock.url + path, {
        method,
        headers,
        body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    async close() {
      try {
        await airlock.stop();
      } finally {
        if (given === undefined) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Deploys `code` as tenant/name and returns the version. Throws on a non-2xx answer. */
export async function deploy(server: TestServer, tenant: string, name: string, code: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await server.request('PUT', `/v1/tenants/${tenant}/functions/${name}`, { code, ...extra });
  if (res.status !== 200 && res.status !== 201) throw new Error(`deploy failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.version as string;
}

export function invoke(server: TestServer, tenant: string, name: string, input: unknown, key?: string | null) {
  return server.request('POST', `/v1/tenants/${tenant}/functions/${name}/invoke`, { input }, key);
}
