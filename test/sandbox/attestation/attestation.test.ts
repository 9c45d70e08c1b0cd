// Fail-closed attestation: the report comes from a real test sandbox, a missing required layer
// stops startup with the reason and the fix, and a sandbox that comes up without a required layer
// is destroyed before anyone can use it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/core/config.js';
import { isAirlockError } from '../../../src/core/errors.js';
import { assertRequiredLayers, attestIsolation, layerProbes, requireLayers } from '../../../src/sandbox/attestation/index.js';
import { makeIsolator, sandboxConfig, waitFor } from '../support.js';
import { processRunning, processStartTime } from '../../../src/sandbox/procfs.js';

describe('attestation report', () => {
  const bwrap = makeIsolator('bwrap');
  after(() => bwrap.close());

  it('reports the layers a real bwrap test sandbox had in force, with probe details', async () => {
    const config = sandboxConfig('bwrap', { requiredLayers: ['namespaces', 'unprivileged-uid'] });
    const report = await attestIsolation(config, bwrap, layerProbes(config, loadConfig({}).cgroups));
    assert.equal(report.isolator, 'bwrap');
    assert.equal(report.checkError, undefined);
    const byLayer = new Map(report.layers.map((l) => [l.layer, l]));
    assert.deepEqual([...byLayer.keys()].sort(), ['cgroups', 'namespaces', 'seccomp', 'unprivileged-uid']);
    assert.equal(byLayer.get('namespaces')?.inForce, true);
    assert.match(byLayer.get('namespaces')!.detail, /bubblewrap/);
    assert.equal(byLayer.get('unprivileged-uid')?.inForce, true);
    assert.deepEqual(report.missing, []);
    assert.doesNotThrow(() => assertRequiredLayers(report));
  });

  it('names a missing required layer with the probe’s reason and refuses', async () => {
    const plain = makeIsolator('process');
    const config = sandboxConfig('process', { requiredLayers: ['namespaces', 'unprivileged-uid'] });
    const report = await attestIsolation(config, plain, layerProbes(config, loadConfig({}).cgroups));
    assert.deepEqual(report.missing.map((l) => l.layer), ['namespaces', 'unprivileged-uid']);
    assert.match(report.missing[0]!.detail, /AIRLOCK_ISOLATION=process/);
    assert.throws(
      () => assertRequiredLayers(report),
      (err: unknown) => {
        assert.ok(isAirlockError(err));
        assert.equal(err.code, 'ISOLATION_UNAVAILABLE');
        assert.match(err.message, /namespaces: AIRLOCK_ISOLATION=process/);
        assert.match(err.message, /airlock doctor/);
        assert.deepEqual(err.details?.missing, ['namespaces', 'unprivileged-uid']);
        return true;
      },
    );
    await plain.close();
  });

  it('a layer a probe calls available still counts as missing unless the test sandbox had it', async () => {
    const config = sandboxConfig('process', { requiredLayers: ['seccomp'] });
    const plain = makeIsolator('process');
    const report = await attestIsolation(config, plain, { seccomp: () => ({ ok: true, detail: 'filter compiles' }) });
    assert.deepEqual(report.missing.map((l) => l.layer), ['seccomp']);
    await plain.close();
  });

  it('a test sandbox that cannot start makes every layer missing, with bwrap’s reason', async () => {
    const config = sandboxConfig('bwrap', { bwrapPath: '/nonexistent/bwrap', requiredLayers: ['namespaces'] });
    const broken = makeIsolator('bwrap', { bwrapPath: '/nonexistent/bwrap' });
    const report = await attestIsolation(config, broken, layerProbes(config, loadConfig({}).cgroups));
    assert.match(report.checkError ?? '', /apt-get install -y bubblewrap/);
    assert.ok(report.layers.every((l) => !l.inForce));
    assert.match(report.checkError ?? '', /not found/);
    // The reason is given once (checkError), not repeated on every layer.
    assert.ok(report.layers.every((l) => l.detail === 'no test sandbox started (the reason is below)'));
    assert.throws(() => assertRequiredLayers(report), /namespaces: no test sandbox started[^]*the test sandbox did not start: bubblewrap \(\/nonexistent\/bwrap\) was not found/);
    await broken.close();
  });
});

describe('requireLayers: fail closed per sandbox', () => {
  it('destroys a sandbox that came up without a required layer and fails the spawn', async () => {
    const inner = makeIsolator('process');
    let spawnedPid: number | undefined;
    let spawnedStart: number | undefined;
    const watched = {
      ...inner,
      name: inner.name,
      isolation: inner.isolation,
      check: () => inner.check(),
      close: () => inner.close(),
      spawn: async (opts: Parameters<typeof inner.spawn>[0]) => {
        const sb = await inner.spawn(opts);
        spawnedPid = sb.pid;
        spawnedStart = sb.pid === undefined ? undefined : processStartTime(sb.pid);
        return sb;
      },
    };
    const guarded = requireLayers(watched, ['namespaces']);
    await assert.rejects(guarded.spawn({ memoryMiB: 64, warmup: 'none' }), (err: unknown) => {
      assert.ok(isAirlockError(err));
      assert.equal(err.code, 'SANDBOX_FAILED');
      assert.match(err.message, /namespaces/);
      return true;
    });
    assert.ok(spawnedPid !== undefined && spawnedStart !== undefined, 'the inner isolator did start a process');
    await waitFor('the sandbox process is gone', () => !processRunning(spawnedPid!, spawnedStart!));
    await inner.close();
  });

  it('passes sandboxes that have every required layer through untouched', async () => {
    const bwrap = makeIsolator('bwrap');
    const guarded = requireLayers(bwrap, ['namespaces', 'unprivileged-uid']);
    const sb = await guarded.spawn({ memoryMiB: 64, warmup: 'none' });
    assert.ok(sb.alive);
    assert.ok(sb.layers.includes('namespaces'));
    await sb.destroy();
    await bwrap.close();
  });

  it('with nothing required it is the isolator itself', () => {
    const bwrap = makeIsolator('bwrap');
    assert.equal(requireLayers(bwrap, []), bwrap);
  });
});

describe('AIRLOCK_REQUIRED_LAYERS', () => {
  it('defaults to every layer for bwrap and none for the process isolator', () => {
    assert.deepEqual(loadConfig({}).sandbox.requiredLayers, ['namespaces', 'unprivileged-uid', 'seccomp', 'cgroups']);
    assert.deepEqual(loadConfig({ AIRLOCK_ISOLATION: 'process' }).sandbox.requiredLayers, []);
  });

  it('takes a comma list or none, and refuses unknown names with the valid ones', () => {
    assert.deepEqual(loadConfig({ AIRLOCK_REQUIRED_LAYERS: ' seccomp , namespaces' }).sandbox.requiredLayers, ['namespaces', 'seccomp']);
    assert.deepEqual(loadConfig({ AIRLOCK_REQUIRED_LAYERS: 'none' }).sandbox.requiredLayers, []);
    assert.throws(() => loadConfig({ AIRLOCK_REQUIRED_LAYERS: 'namespaces,apparmor' }), /unknown layer\(s\) apparmor.*namespaces, unprivileged-uid, seccomp, cgroups/);
  });
});
