// HTTP client used by the CLI: AIRLOCK_URL (default http://127.0.0.1:8080; an http(s) base URL,
// checked before any request) and AIRLOCK_KEY (default: the admin key file in AIRLOCK_DATA_DIR,
// for the single-machine case). When the server refuses the key, the error says where it came from.
// An answer that is not JSON, or (for `read`) not of the shape the command reads, or (for
// `readBytes`, a source) without the header Airlock sends with it, is NOT_AIRLOCK.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readFailure, UsageError } from './args.js';
import { answerProblem } from './answer.js';
import type { Static, TSchema } from '@sinclair/typebox';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** What the CLI adds to the server's message: a likely cause and how to fix it. */
  readonly hint: string | undefined;
  /** Where in a deployed source the error is, when the server said (1-based; column may be absent). */
  readonly position: { line: number; column?: number } | undefined;
  constructor(status: number, code: string, message: string, hint?: string, position?: { line: number; column?: number }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.hint = hint;
    this.position = position;
  }
  /** The same error with `hint` as what the CLI adds. */
  withHint(hint: string): ApiError {
    return new ApiError(this.status, this.code, this.message, hint, this.position);
  }
}

export interface Client {
  url: string;
  /** A request whose answer is printed as it is, or not read at all (a DELETE). */
  request(method: string, path: string, body?: unknown): Promise<unknown>;
  /**
   * A request whose answer's fields the CLI reads: it must have `shape` (those fields, of those
   * types), else the server is not Airlock and this fails with NOT_AIRLOCK naming the URL.
   */
  read<S extends TSchema>(method: string, path: string, shape: S, body?: unknown): Promise<Static<S>>;
  /**
   * A GET whose successful answer is not JSON (a function's source): its bytes exactly as sent,
   * a leading byte order mark included. The answer must carry the header `marker`, else the
   * server is not Airlock (NOT_AIRLOCK); errors are the API's JSON errors, as for the others.
   */
  readBytes(path: string, marker: string): Promise<Buffer>;
}

/** The key the CLI sends and where it found it (never printed), or where it looked in vain. */
type KeySource =
  | { from: 'env'; key: string }
  | { from: 'file'; key: string; path: string }
  | { from: 'nowhere'; path: string; why: string };

/** AIRLOCK_KEY, else the admin key in AIRLOCK_DATA_DIR (default ./.airlock) as an absolute path. */
function findKey(env: NodeJS.ProcessEnv): KeySource {
  if (env.AIRLOCK_KEY) return { from: 'env', key: sendableKey(env.AIRLOCK_KEY, 'AIRLOCK_KEY') };
  const path = join(resolve(env.AIRLOCK_DATA_DIR || './.airlock'), 'admin.key');
  let key: string;
  try {
    key = readFileSync(path, 'utf8').trim();
  } catch (err) {
    return { from: 'nowhere', path, why: readFailure(err) };
  }
  return key === '' ? { from: 'nowhere', path, why: 'it is empty' } : { from: 'file', key: sendableKey(key, path), path };
}

/**
 * A key an HTTP header can carry (visible ASCII; keys are `ak_…` tokens); anything else is a usage
 * error before any request, instead of a failure of the request itself.
 */
function sendableKey(key: string, from: string): string {
  if (/^[\x21-\x7e]+$/.test(key)) return key;
  throw new UsageError(
    `the key in ${from} holds a space, a control character or a non-ASCII character, which no key has: copy the key again (keys look like ak_…)`,
  );
}

/** Added to a 401: which key the CLI sent, or that it had none, and what to set. */
function refusedKeyHint(source: KeySource, url: string): string {
  switch (source.from) {
    case 'env':
      return `the CLI sent the key from AIRLOCK_KEY; set it to a key of the server at ${url} that was not revoked`;
    case 'file':
      return (
        `the CLI sent the admin key read from ${source.path}; if the server at ${url} keeps its data elsewhere, set AIRLOCK_DATA_DIR to that directory (or AIRLOCK_KEY to a key); ` +
        'if it was started with AIRLOCK_ADMIN_KEY, that key replaces the file: set AIRLOCK_KEY to it'
      );
    case 'nowhere':
      return `the CLI found no key: AIRLOCK_KEY is not set and ${source.path} cannot be read (${source.why}); set AIRLOCK_KEY to an API key, or AIRLOCK_DATA_DIR to the server's data dir (which holds admin.key)`;
  }
}

const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Failures to connect at all: nothing was sent. */
const NOT_CONNECTED: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * A TLS handshake that failed, before any request went out: OpenSSL's ERR_SSL_* (a plain HTTP
 * server answered an https URL: ERR_SSL_WRONG_VERSION_NUMBER), ERR_TLS_*, and certificate checks.
 */
export function tlsFailure(code: string): 'protocol' | 'certificate' | undefined {
  // Certificate checks first: ERR_TLS_CERT_ALTNAME_INVALID is one, not a protocol mismatch.
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/.test(code)) return 'certificate';
  if (/^ERR_(SSL|TLS)_|^EPROTO$/.test(code)) return 'protocol';
  return undefined;
}

/** The code of what went wrong under fetch's "fetch failed" (undici puts it in `cause`). */
function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/**
 * A request that got no answer: either nothing could connect (the server is not there), or the
 * connection broke after the request went out, when the call may or may not have run.
 */
function transportError(err: unknown, url: string, method: string, path: string): ApiError {
  const code = causeCode(err);
  const why = code ?? (err as Error).message;
  if (code === undefined || NOT_CONNECTED.has(code)) {
    return new ApiError(0, 'UNREACHABLE', `cannot reach ${url} (${why}); is the server running? set AIRLOCK_URL`);
  }
  const tls = tlsFailure(code);
  if (tls !== undefined) {
    const plain = url.replace(/^https:/, 'http:');
    const fix =
      tls === 'certificate'
        ? "the server's certificate was not accepted: give Node.js its CA (NODE_EXTRA_CA_CERTS=/path/to/ca.pem)"
        : url.startsWith('https:')
          ? `an Airlock server speaks plain HTTP unless a proxy in front of it speaks TLS: set AIRLOCK_URL=${plain}`
          : 'check AIRLOCK_URL';
    return new ApiError(0, 'UNREACHABLE', `cannot set up TLS with ${url} (${why}): nothing was sent; ${fix}`);
  }
  return new ApiError(
    0,
    'CONNECTION_LOST',
    `the connection to ${url} broke before ${method} ${path} was answered (${why}): the server stopped or ` +
      'crashed during the request, so it may or may not have taken effect; check before retrying (e.g. `airlock executions <tenant>`; ' +
      'an invoke cut off by a crash may have run and left no record)',
  );
}

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

/** The start of a body, for an error message. */
function excerpt(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export function createClient(env: NodeJS.ProcessEnv = process.env): Client {
  const url = serverBaseUrl(env.AIRLOCK_URL);
  const keySource = findKey(env);
  /** One request; the answer and its bytes, or the error to throw when nothing (or not all of it) came. */
  async function exchange(method: string, path: string, body: unknown): Promise<{ res: Response; bytes: Buffer }> {
    const headers: Record<string, string> = {};
    if (keySource.from !== 'nowhere') headers.authorization = `Bearer ${keySource.key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await fetch(url + path, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
      return { res, bytes: Buffer.from(await res.arrayBuffer()) };
    } catch (err) {
      throw transportError(err, url, method, path);
    }
  }
  /** One request; a successful answer's status, JSON and text, or the error to throw. */
  async function send(method: string, path: string, body: unknown): Promise<{ status: number; data: unknown; text: string }> {
    const { res, bytes } = await exchange(method, path, body);
    return parseAnswer(method, path, res, bytes.toString('utf8'));
  }
  /** A JSON answer: its data when successful, else the API error it holds (or NOT_AIRLOCK). */
  function parseAnswer(method: string, path: string, res: Response, text: string): { status: number; data: unknown; text: string } {
    let data: unknown;
    try {
      data = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      throw new ApiError(res.status, 'NOT_AIRLOCK', `${url} answered ${method} ${path} with ${res.status} and a body that is not JSON (is AIRLOCK_URL an Airlock server?): ${excerpt(text)}`);
    }
    if (!res.ok) {
      const e = (data as { error?: { code?: string; message?: string; line?: unknown; column?: unknown } } | undefined)?.error;
      const hint = res.status === 401 ? refusedKeyHint(keySource, url) : undefined;
      throw new ApiError(res.status, e?.code ?? 'HTTP_' + res.status, e?.message ?? text, hint, positionOf(e));
    }
    return { status: res.status, data, text };
  }
  return {
    url,
    async request(method: string, path: string, body?: unknown): Promise<unknown> {
      return (await send(method, path, body)).data;
    },
    async readBytes(path: string, marker: string): Promise<Buffer> {
      const { res, bytes } = await exchange('GET', path, undefined);
      // An error is JSON like every other answer's; only a successful answer is bytes.
      if (!res.ok) parseAnswer('GET', path, res, bytes.toString('utf8'));
      if (!res.headers.has(marker)) {
        throw new ApiError(res.status, 'NOT_AIRLOCK', `${url} answered GET ${path} with ${res.status} but without the ${marker} header an Airlock server sends (is AIRLOCK_URL an Airlock server?)`);
      }
      return bytes;
    },
    async read<S extends TSchema>(method: string, path: string, shape: S, body?: unknown): Promise<Static<S>> {
      const { status, data, text } = await send(method, path, body);
      const problem = answerProblem(shape, data);
      if (problem !== undefined) {
        throw new ApiError(
          status,
          'NOT_AIRLOCK',
          `${url} answered ${method} ${path} with ${status} and JSON that is not an Airlock answer (${problem}; is AIRLOCK_URL an Airlock server?): ${excerpt(text)}`,
        );
      }
      return data as Static<S>;
    },
  };
}

/** The `line` and `column` a deploy refusal carries (whole numbers from 1), if it has them. */
function positionOf(e: { line?: unknown; column?: unknown } | undefined): { line: number; column?: number } | undefined {
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  if (e === undefined || !whole(e.line)) return undefined;
  return whole(e.column) ? { line: e.line, column: e.column } : { line: e.line };
}
