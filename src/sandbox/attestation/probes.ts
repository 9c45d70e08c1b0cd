// Per-layer probes: what this machine offers for each isolation layer, and how to fix what is
// missing. They explain the attestation report; the verdict itself comes from a real sandbox.
import { execFileSync } from 'node:child_process';
import type { CgroupConfig, SandboxConfig } from '../../core/config.js';
import { resolveExecutable } from '../executables.js';
import { cgroupStatus } from '../cgroup/index.js';
import { seccompStatus } from '../seccomp/index.js';
import type { LayerDiagnosis, LayerProbes } from './report.js';

function namespacesProbe(config: SandboxConfig): LayerDiagnosis {
  if (config.isolator !== 'bwrap') {
    return { ok: false, detail: `AIRLOCK_ISOLATION=${config.isolator} runs tenant code without namespaces; unset it to use bubblewrap` };
  }
  const bwrap = resolveExecutable(config.bwrapPath);
  if (bwrap === undefined) {
    return { ok: false, detail: `bubblewrap (${config.bwrapPath}) not found: apt-get install -y bubblewrap, or set AIRLOCK_BWRAP` };
  }
  let version = 'bubblewrap';
  try {
    version = execFileSync(bwrap, ['--version'], { encoding: 'utf8', timeout: 5_000 }).trim();
  } catch {
    // the version is only decoration; the test sandbox decides
  }
  return { ok: true, detail: `${version} (${bwrap}): user, pid, network, mount, ipc, uts and cgroup namespaces` };
}

function uidProbe(config: SandboxConfig): LayerDiagnosis {
  if (config.isolator !== 'bwrap') return { ok: false, detail: 'the process isolator runs tenant code as the server user' };
  const root = process.getuid?.() === 0;
  if (!root) {
    return {
      ok: false,
      detail:
        `the server is not root, so sandboxes run as its own uid ${process.getuid?.() ?? '?'}, the owner of the data dir's keys and ` +
        'database: a sandbox that got out of its namespaces could read them; run the server as root (sandboxes then run as ' +
        'AIRLOCK_SANDBOX_UID, 65534 by default), or leave unprivileged-uid out of AIRLOCK_REQUIRED_LAYERS knowing this',
    };
  }
  return config.uid === 0
    ? { ok: false, detail: 'AIRLOCK_SANDBOX_UID=0 maps sandboxes to host root; use an unprivileged uid (default 65534)' }
    : { ok: true, detail: `the server is root: sandboxes run as host uid ${config.uid}, gid ${config.gid}` };
}

/**
 * The probes of each layer. `cgroupsUnavailable`: why the cgroups could not be set up when the
 * start tried (openCgroups's reason: e.g. EACCES creating the root, with the fix), which says
 * more than detecting the hierarchy again.
 */
export function layerProbes(config: SandboxConfig, cgroups: CgroupConfig, cgroupsUnavailable?: string): LayerProbes {
  return {
    namespaces: () => namespacesProbe(config),
    'unprivileged-uid': () => uidProbe(config),
    seccomp: () => seccompStatus(config.seccomp),
    cgroups: () =>
      cgroupsUnavailable === undefined || cgroups.mode === 'off' ? cgroupStatus(cgroups) : { ok: false, detail: cgroupsUnavailable },
  };
}
