// HTTP client used by the CLI: AIRLOCK_URL (default http://127.0.0.1:8080; an http(s) base URL,
// checked before any request) and AIRLOCK_KEY (default: the admin key file in AIRLOCK_DATA_DIR,
// for the single-machine case).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from './args.js';

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

const DEFAULT_URL = 'http://127.0.0.1:8080';

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** What AIRLOCK_URL probably meant: `127.0.0.1:8080` -> `http://127.0.0.1:8080`. */
function suggestedUrl(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? undefined : parseUrl(`http://${text}`);
  return withScheme?.origin ?? DEFAULT_URL;
}

/**
 * The base URL API paths are appended to, from AIRLOCK_URL: an http(s) URL with nothing after
 * the host and port (a trailing slash is fine). Anything else is a usage error saying what to set.
 */
export function serverBaseUrl(raw: string | undefined): string {
  const text = raw || DEFAULT_URL;
  const url = parseUrl(text);
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(`AIRLOCK_URL must be an http(s) URL, e.g. AIRLOCK_URL=${suggestedUrl(text)} (got ${JSON.stringify(text)})`);
  }
  if (!/^\/*$/.test(url.pathname) || url.search !== '' || url.hash !== '') {
    throw new UsageError(`AIRLOCK_URL is the server's base URL, without a path or query: set AIRLOCK_URL=${url.origin} (got ${JSON.stringify(text)})`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(`AIRLOCK_URL must not hold a user name or password (the CLI sends AIRLOCK_KEY): set AIRLOCK_URL=${url.origin}`);
  }
  return url.origin;
}

export function createClient(env: NodeJS.ProcessEnv = process.env): Client {
  const url = serverBaseUrl(env.AIRLOCK_URL);
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
