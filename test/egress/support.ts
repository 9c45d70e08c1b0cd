// Helpers for the broker tests: HTTP(S) servers on 127.0.0.1 that the test controls, a resolver
// mapping test host names to addresses (and counting lookups), connectors that count calls or
// fail the test if called at all, and an in-memory secret source.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { HttpEgressBroker } from '../../src/egress/broker.js';
import type { BrokerOptions } from '../../src/egress/broker.js';
import { parseCidr } from '../../src/egress/ip.js';
import { hostMatches } from '../../src/egress/policy.js';
import { httpConnector } from '../../src/egress/transport.js';
import type { Connector, ResolvedAddress, Resolver } from '../../src/egress/transport.js';
import type { EgressPolicy } from '../../src/core/types.js';
import type { EgressSession, SecretSource, SecretValue } from '../../src/egress/types.js';
import { API_TEST_CERT, API_TEST_KEY, TEST_CA } from './tls-fixture.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

export interface TestHttpServer {
  port: number;
  /** Requests seen, in order. */
  seen: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer; servername?: string }[];
  /** Sockets the server accepted and that are still open. */
  openSockets(): number;
  close(): Promise<void>;
}

export async function startHttpServer(handler: Handler, tls = false): Promise<TestHttpServer> {
  const seen: TestHttpServer['seen'] = [];
  const sockets = new Set<Socket>();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const servername = (req.socket as { servername?: string | false }).servername;
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, ...(typeof servername === 'string' ? { servername } : {}) });
      handler(req, res, body);
    });
  };
  const server = tls ? https.createServer({ cert: API_TEST_CERT, key: API_TEST_KEY }, onRequest) : http.createServer(onRequest);
  server.on(tls ? 'secureConnection' : 'connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Resolves names from a table (others fail like NXDOMAIN) and counts lookups per name. */
export function tableResolver(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host);
    const found = table[host];
    if (found === undefined) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolver, { calls });
}

/** A connector that fails the test if it is ever called (refusals must precede connections). */
export const forbiddenConnector: Connector = (req) => {
  assert.fail(`a connection to ${req.address.address} (${req.target.host}) was attempted`);
};

/** The real connector (trusting the test CA), counting the connections it makes. */
export function countingConnector(): Connector & { calls: string[] } {
  const real = httpConnector({ ca: TEST_CA });
  const calls: string[] = [];
  const connector: Connector = (req) => {
    calls.push(`${req.target.host}@${req.address.address}`);
    return real(req);
  };
  return Object.assign(connector, { calls });
}

export function secretSource(secrets: SecretValue[], tenant = 'acme'): SecretSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    get: async (t, name) => {
      asked.push(name);
      return t === tenant ? secrets.find((s) => s.name === name) : undefined;
    },
    boundTo: async (t, host) => (t === tenant ? secrets.filter((s) => s.hosts.some((pattern) => hostMatches(pattern, host))) : []),
  };
}

export interface SessionSetup {
  policy: EgressPolicy;
  resolver?: Resolver;
  connector?: Connector;
  secrets?: SecretSource;
  allowCidrs?: string[];
  deadline?: number;
}

export function openSession(setup: SessionSetup): EgressSession {
  const options: BrokerOptions = {
    secrets: setup.secrets ?? secretSource([]),
    allowCidrs: (setup.allowCidrs ?? ['127.0.0.1/32']).map(parseCidr),
    resolver: setup.resolver ?? tableResolver({}),
    connector: setup.connector ?? forbiddenConnector,
  };
  return new HttpEgressBroker(options).open({
    tenant: 'acme', functionName: 'fn', executionId: 'ex_test', policy: setup.policy, deadline: setup.deadline ?? Date.now() + 60_000,
  });
}

/** Polls `check` until it is true or the deadline passes (no sleeps in tests). */
export async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
