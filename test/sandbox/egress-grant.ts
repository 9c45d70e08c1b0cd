// What the sandbox-level egress tests share: a bwrap Tracker beside one loopback test server, and
// a run request granted egress to that server (nothing else), with its own broker session.
import { HttpEgressBroker, NO_SECRETS } from '../../src/egress/broker.js';
import { parseCidr } from '../../src/egress/ip.js';
import type { EgressLimits } from '../../src/core/types.js';
import { countingConnector, startHttpServer, tableResolver } from '../egress/support.js';
import type { TestHttpServer } from '../egress/support.js';
import { Tracker, request } from './support.js';

export interface EgressRig {
  tracker: Tracker;
  server: TestHttpServer;
  /** The server's http://127.0.0.1:port. */
  base: string;
}

/** Starts a bwrap Tracker and a loopback server answering with `handler`. */
export async function startEgressRig(handler: Parameters<typeof startHttpServer>[0]): Promise<EgressRig> {
  const tracker = new Tracker('bwrap');
  const server = await startHttpServer(handler);
  return { tracker, server, base: `http://127.0.0.1:${server.port}` };
}

/** Removes the rig's sandboxes, then closes its server (even if that failed). */
export async function stopEgressRig(rig: Pick<EgressRig, 'tracker' | 'server'>): Promise<void> {
  try {
    await rig.tracker.cleanup();
  } finally {
    await rig.server.close();
  }
}

/** `code` run with `input`, allowed to fetch 127.0.0.1:`port` within `limits` (100 requests, 1 MiB answers by default). */
export function loopbackGrant(port: number, code: string, input: unknown, limits: Partial<EgressLimits> = {}) {
  const req = request(code, { input, timeoutMs: 20_000 });
  const egress = new HttpEgressBroker({ secrets: NO_SECRETS, allowCidrs: [parseCidr('127.0.0.1/32')], resolver: tableResolver({}), connector: countingConnector() }).open({
    tenant: 'tenant-a', functionName: 'probe', executionId: req.executionId, deadline: Date.now() + 30_000,
    policy: { allow: [{ host: '127.0.0.1', ports: [port] }], limits: { requests: 100, requestBytes: 1024, responseBytes: 1024 * 1024, timeoutMs: 15_000, ...limits } },
  });
  return { ...req, egress };
}
