// HTTP client used by the CLI: AIRLOCK_URL (default http://127.0.0.1:8080) and AIRLOCK_KEY
// (default: the admin key file in AIRLOCK_DATA_DIR, for the single-machine case).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export interface Client {
  url: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

function defaultKey(env: NodeJS.ProcessEnv): string | undefined {
  if (env.AIRLOCK_KEY) return env.AIRLOCK_KEY;
  try {
    return readFileSync(join(resolve(env.AIRLOCK_DATA_DIR || './.airlock'), 'admin.key'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function createClient(env: NodeJS.ProcessEnv = process.env): Client {
  const url = (env.AIRLOCK_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const key = defaultKey(env);
  return {
    url,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = {};
      if (key) headers.authorization = `Bearer ${key}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      let res: Response;
      try {
        res = await fetch(url + path, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
      } catch (err) {
        throw new ApiError(0, 'UNREACHABLE', `cannot reach ${url} (${(err as Error).message}); is the server running? set AIRLOCK_URL`);
      }
      const text = await res.text();
      let data: unknown;
      try {
        data = text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        const excerpt = text.length > 200 ? `${text.slice(0, 200)}…` : text;
        throw new ApiError(res.status, 'NOT_AIRLOCK', `${url} answered ${method} ${path} with ${res.status} and a body that is not JSON (is AIRLOCK_URL an Airlock server?): ${excerpt}`);
      }
      if (!res.ok) {
        const e = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
        throw new ApiError(res.status, e?.code ?? 'HTTP_' + res.status, e?.message ?? text);
      }
      return data as T;
    },
  };
}
