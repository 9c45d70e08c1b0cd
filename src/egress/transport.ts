// How the broker reaches the network, behind two injectable functions: a Resolver (DNS) and a
// Connector (one HTTP exchange with an already vetted IP address). The default connector uses
// node:http/https with a lookup pinned to that address, so no second DNS lookup can switch it
// (DNS rebinding), while TLS SNI and certificate checks still use the host name. Tests inject
// their own to prove a refusal happened before any connection.
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AirlockError } from '../core/errors.js';
import type { Target } from './policy.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a host name resolves to. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export interface ConnectRequest {
  target: Target;
  /** The vetted address to connect to. */
  address: ResolvedAddress;
  method: string;
  headers: [string, string][];
  body: Buffer | undefined;
  signal: AbortSignal;
  /** Above this many response body bytes the exchange is cut off (EGRESS_LIMIT). */
  maxResponseBytes: number;
}

export interface ConnectResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Buffer;
}

/**
 * Performs one exchange. Rejects with AirlockError EGRESS_FAILED (connection, TLS, protocol) or
 * EGRESS_LIMIT (response too large); `details.bytesIn` tells how much was received.
 */
export type Connector = (req: ConnectRequest) => Promise<ConnectResponse>;

export const systemResolver: Resolver = async (host) => {
  const found = await dnsLookup(host, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export interface HttpConnectorOptions {
  /** Extra trusted CA certificates (PEM) in place of the system ones; for tests. */
  ca?: string | Buffer;
}

function headerObject(pairs: readonly [string, string][]): OutgoingHttpHeaders {
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  return out;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection']);

function responseHeaders(res: IncomingMessage): [string, string][] {
  const out: [string, string][] = [];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name)) out.push([name, raw[i + 1]!]);
  }
  return out;
}

function failed(message: string, bytesIn = 0): AirlockError {
  return new AirlockError('EGRESS_FAILED', message, { bytesIn });
}

export function httpConnector(options: HttpConnectorOptions = {}): Connector {
  return (req) =>
    new Promise<ConnectResponse>((resolve, reject) => {
      const { target, address } = req;
      const lookup: LookupFunction = (_host, opts, cb) => {
        if ((opts as { all?: boolean }).all === true) {
          (cb as unknown as (e: null, a: ResolvedAddress[]) => void)(null, [address]);
        } else {
          cb(null, address.address, address.family);
        }
      };
      const secure = target.protocol === 'https:';
      const requestOptions: https.RequestOptions = {
        host: target.host,
        port: target.port,
        method: req.method,
        path: target.url.pathname + target.url.search,
        headers: headerObject(req.headers),
        lookup,
        agent: false,
        ...(secure && !target.literal ? { servername: target.host } : {}),
        ...(secure && options.ca !== undefined ? { ca: options.ca } : {}),
      };
      let settled = false;
      const settle = (err: AirlockError | undefined, res?: ConnectResponse): void => {
        if (settled) return;
        settled = true;
        req.signal.removeEventListener('abort', onAbort);
        if (err !== undefined) {
          outgoing.destroy();
          reject(err);
        } else resolve(res!);
      };
      const onAbort = (): void => settle(failed('the request was aborted'));
      const outgoing = (secure ? https : http).request(requestOptions, (res) => {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > req.maxResponseBytes) {
          settle(responseTooLarge(req.maxResponseBytes, 0));
          res.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > req.maxResponseBytes) {
            settle(responseTooLarge(req.maxResponseBytes, bytes));
            res.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          settle(undefined, {
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            headers: responseHeaders(res),
            body: Buffer.concat(chunks, bytes),
          }),
        );
        res.on('error', (err) => settle(failed(`the response broke off: ${err.message}`, bytes)));
        res.on('aborted', () => settle(failed('the response broke off', bytes)));
      });
      outgoing.on('error', (err) => settle(failed(`${target.host}:${target.port}: ${err.message}`)));
      if (req.signal.aborted) return onAbort();
      req.signal.addEventListener('abort', onAbort, { once: true });
      outgoing.end(req.body);
    });
}

/** The error for a response body above egress.limits.responseBytes (on the wire or once decoded). */
export function responseTooLarge(limit: number, bytesIn: number): AirlockError {
  return new AirlockError(
    'EGRESS_LIMIT',
    `the response body is larger than ${limit} bytes (egress.limits.responseBytes) and was cut off; ` +
      'request less data or raise the limit when deploying',
    { bytesIn },
  );
}
