// `airlock doctor` as a real process, and the server's refusal to start when a required layer is
// missing: both come from the same attestation of a real test sandbox.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServerProcess } from '../support/process.js';

describe('airlock doctor', () => {
  it('prints every layer as ok on this machine and exits 0 when the required ones are in force', async () => {
    const res = await runCli(['doctor'], { AIRLOCK_REQUIRED_LAYERS: 'namespaces,unprivileged-uid' });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /^namespaces\s+yes\s+ok\s+bubblewrap/m);
    assert.match(res.stdout, /^unprivileged-uid\s+yes\s+ok\s+/m);
    assert.match(res.stdout, /^seccomp\s+no\s+/m);
    assert.match(res.stdout, /every required layer is in force/);
  });

  it('exits 1 and says what is missing and why when a required layer is not available', async () => {
    const res = await runCli(['doctor'], { AIRLOCK_ISOLATION: 'process', AIRLOCK_REQUIRED_LAYERS: 'namespaces' });
    assert.equal(res.code, 1);
    assert.match(res.stdout, /^namespaces\s+yes\s+missing\s+AIRLOCK_ISOLATION=process/m);
    assert.match(res.stdout, /missing required layer\(s\): namespaces: the server will refuse to start/);
  });

  it('--json gives the same report as data', async () => {
    const res = await runCli(['doctor', '--json'], { AIRLOCK_BWRAP: '/nonexistent/bwrap', AIRLOCK_REQUIRED_LAYERS: 'namespaces' });
    assert.equal(res.code, 1);
    const report = JSON.parse(res.stdout) as { checkError: string; missing: { layer: string }[] };
    assert.match(report.checkError, /apt-get install -y bubblewrap/);
    assert.deepEqual(report.missing.map((l) => l.layer), ['namespaces']);
  });
});

describe('server startup attestation', () => {
  it('refuses to start when a required layer is missing, naming it and the fix', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-attest-'));
    try {
      await assert.rejects(
        startServerProcess({ AIRLOCK_DATA_DIR: dataDir, AIRLOCK_ISOLATION: 'process', AIRLOCK_REQUIRED_LAYERS: 'namespaces' }),
        (err: Error) => {
          assert.match(err.message, /exited with [1-9]/);
          assert.match(err.message, /ISOLATION_UNAVAILABLE/);
          assert.match(err.message, /namespaces: AIRLOCK_ISOLATION=process/);
          assert.match(err.message, /airlock doctor/);
          return true;
        },
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
