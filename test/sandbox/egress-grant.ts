// A run request granted egress to one loopback test server (nothing else), with its own broker
// session: what the sandbox-level egress tests hand a real bwrap sandbox.
import { HttpEgressBroker, NO_SECRETS } from '../../src/egress/broker.js';
import { parseCidr } from '../../src/egress/ip.js';
import type { EgressLimits } from '../../src/core/types.js';
import { countingConnector, tableResolver } from '../egress/support.js';
import { request } from './support.js';

/** `code` run with `input`, allowed to fetch 127.0.0.1:`port` within `limits` (100 requests, 1 MiB answers by default). */
export function loopbackGrant(port: number, code: string, input: unknown, limits: Partial<EgressLimits> = {}) {
  const req = request(code, { input, timeoutMs: 20_000 });
  const egress = new HttpEgressBroker({ secrets: NO_SECRETS, allowCidrs: [parseCidr('127.0.0.1/32')], resolver: tableResolver({}), connector: countingConnector() }).open({
    tenant: 'tenant-a', functionName: 'probe', executionId: req.executionId, deadline: Date.now() + 30_000,
    policy: { allow: [{ host: '127.0.0.1', ports: [port] }], limits: { requests: 100, requestBytes: 1024, responseBytes: 1024 * 1024, timeoutMs: 15_000, ...limits } },
  });
  return { ...req, egress };
}
