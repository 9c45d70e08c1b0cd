// A server started with an isolation layer switched off (and not required) says so at warn level,
// one line per missing layer and alike for every layer: seccomp off is as loud as cgroups off.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SECURITY_LAYERS } from '../../src/core/config.js';
import { captureLog } from '../support/log-capture.js';
import type { LogEntry } from '../support/log-capture.js';
import { startTestServer } from '../support/server.js';

/** Starts a server with `env`, returns what it logged at start and the layers it attested. */
async function startLogs(env: Record<string, string>): Promise<{ entries: LogEntry[]; inForce: string[] }> {
  const logs = captureLog();
  const server = await startTestServer({ AIRLOCK_POOL_SIZE: '0', AIRLOCK_REQUIRED_LAYERS: 'none', ...env }, {}, logs.logger);
  try {
    return { entries: logs.lines(), inForce: [...server.airlock.layers] };
  } finally {
    await server.close();
  }
}

function layerWarnings(entries: LogEntry[]): LogEntry[] {
  return entries.filter((e) => /^isolation layer \S+ is NOT in force/.test(e.msg));
}

describe('missing isolation layers at start', () => {
  for (const { layer, env, why } of [
    { layer: 'seccomp', env: { AIRLOCK_SECCOMP: 'off' }, why: /AIRLOCK_SECCOMP=off: sandboxes run WITHOUT the syscall allowlist.*See docs\/seccomp\.md/ },
    { layer: 'cgroups', env: { AIRLOCK_CGROUPS: 'off' }, why: /disabled by AIRLOCK_CGROUPS=off.*See docs\/cgroups\.md/ },
  ]) {
    it(`${layer} switched off is one warn-level line naming the layer, the reason and where to read more`, async () => {
      const { entries, inForce } = await startLogs(env);
      assert.ok(!inForce.includes(layer), `control: ${layer} is not in force`);
      const warnings = layerWarnings(entries);
      // One line for each layer not in force, none for a layer in force (cgroups may be missing on this machine too).
      assert.deepEqual(
        warnings.map((e) => e.layer).sort(),
        SECURITY_LAYERS.filter((l) => !inForce.includes(l)).sort(),
      );
      const line = warnings.find((e) => e.layer === layer)!;
      assert.equal(line.level, 40, 'warn level');
      assert.match(line.msg, new RegExp(`^isolation layer ${layer} is NOT in force, sandboxes run without it: `));
      assert.match(line.msg, why);
      assert.equal(entries.filter((e) => e.level >= 40 && new RegExp(layer === 'cgroups' ? 'cgroup' : layer, 'i').test(e.msg)).length, 1, 'said once');
    });
  }
});
