// The start's isolation step: opens the cgroups (removing groups a crashed server left), the
// isolator with its launcher, attests every isolation layer in a real test sandbox, refuses to
// start without isolation or without a required layer, and logs what is and is not in force.
// Whatever it opens is registered on the start's CleanupStack.
import type { Config } from '../core/config.js';
import type { CleanupStack } from '../core/cleanup-stack.js';
import { AirlockError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SecurityLayer } from '../core/types.js';
import { assertRequiredLayers, attestIsolation, layerProbes, requireLayers } from './attestation/index.js';
import { createPolicy, openCgroups } from './cgroup/index.js';
import type { CgroupManager } from './cgroup/index.js';
import { createIsolator, sandboxLauncher, SpawnerLauncher } from './index.js';
import type { Isolator } from './port.js';
import type { SandboxFrameReader } from '../core/json-thread/parser.js';

export interface OpenedIsolation {
  /** The isolator itself (closed by the caller's cleanup and at stop). */
  isolator: Isolator;
  /** The isolator wrapped so that every sandbox is checked against the required layers before use. */
  sandboxes: Isolator;
  /** The layers attested in force. */
  layers: SecurityLayer[];
  cgroups: CgroupManager | undefined;
}

/** Where each isolation layer is explained, for the warning when one is not in force. */
const LAYER_DOCS: Record<SecurityLayer, string> = {
  namespaces: 'README.md, Security model',
  'unprivileged-uid': 'README.md, Security model',
  seccomp: 'docs/seccomp.md',
  cgroups: 'docs/cgroups.md',
};

/** `frameReader`: the server's parser thread, which reads sandboxes' large done frames. */
export async function openIsolation(config: Config, logger: Logger, cleanup: CleanupStack, frameReader?: SandboxFrameReader): Promise<OpenedIsolation> {
  // cgroups: created (and leftovers of a crashed server removed) before any sandbox exists.
  const opened = config.sandbox.isolator === 'bwrap' ? openCgroups(config.cgroups) : undefined;
  const cgroups = opened?.manager;
  cleanup.add(() => cgroups?.close()); // no group of this server is left behind
  if (opened !== undefined) {
    // Without them, the missing cgroups layer is warned about below, with the other missing layers.
    if (cgroups !== undefined) logger.info({ cgroups: cgroups.describe(), version: cgroups.version }, 'sandboxes get cgroup limits');
    const removed = opened.leftovers?.removed ?? 0;
    if (removed > 0) {
      logger.info({ removed }, `removed ${removed} cgroup${removed === 1 ? '' : 's'} of sandboxes a previous server left behind (it stopped without cleaning up, e.g. kill -9); none held a process`);
    }
    const busy = opened.leftovers?.busy ?? [];
    if (busy.length > 0) logger.warn({ root: config.cgroups.root, busy: busy.slice(0, 10), count: busy.length }, sharedRootWarning(config.cgroups.root, busy.length));
  }
  // Sandboxes are forked by a helper process so fork() never stalls this event loop.
  const launcher = config.sandbox.isolator === 'bwrap'
    ? sandboxLauncher(config.sandbox.openFiles, config.pool.maxSandboxes, (msg) => logger.warn(msg))
    : new SpawnerLauncher();
  const isolator = createIsolator(config.sandbox, {
    launcher, cgroups: createPolicy(config.cgroups, cgroups), ...(frameReader === undefined ? {} : { frameReader }),
  });
  cleanup.add(() => isolator.close());
  if (isolator.name === 'process') {
    logger.warn(
      'AIRLOCK_ISOLATION=process: tenant code runs WITHOUT any isolation, as the server user. ' +
        'Development only; never run untrusted code like this. Install bubblewrap and unset AIRLOCK_ISOLATION.',
    );
  }
  const attestation = await attestIsolation(config.sandbox, isolator, layerProbes(config.sandbox, config.cgroups, opened?.reason));
  if (attestation.checkError !== undefined) {
    throw new AirlockError(
      'ISOLATION_UNAVAILABLE',
      `${attestation.checkError}\nAirlock refuses to run tenant code without isolation. On a development machine only, ` +
        'AIRLOCK_ISOLATION=process runs functions as plain processes (no isolation at all).',
    );
  }
  assertRequiredLayers(attestation);
  const layers = attestation.layers.filter((l) => l.inForce).map((l) => l.layer);
  logger.info(
    { layers, required: config.sandbox.requiredLayers, missing: attestation.layers.filter((l) => !l.inForce).map((l) => l.layer) },
    'isolation layers attested',
  );
  // A layer not in force (not required, or the start would have stopped) is a warning, each alike.
  for (const missing of attestation.layers.filter((l) => !l.inForce)) {
    const { detail } = missing;
    logger.warn(
      { layer: missing.layer, detail },
      `isolation layer ${missing.layer} is NOT in force, sandboxes run without it: ${detail}. ` +
        `See ${LAYER_DOCS[missing.layer]}, or run \`airlock doctor\` for the full report`,
    );
  }
  // Every sandbox is checked against the required layers before it can run anything.
  return { isolator, sandboxes: requireLayers(isolator, config.sandbox.requiredLayers), layers, cgroups };
}

/** The start found groups below its cgroup root that hold processes: most likely another server's. */
function sharedRootWarning(root: string, count: number): string {
  return `AIRLOCK_CGROUP_ROOT=${root}: found ${count} cgroup${count === 1 ? '' : 's'} below it that still hold${count === 1 ? 's' : ''} processes, ` +
    'and left them alone: another Airlock server on this host uses the same root, or sandboxes of a previous server are ' +
    'still running. Each server on a host needs its own AIRLOCK_CGROUP_ROOT (servers sharing one remove each other\'s ' +
    'groups); see docs/cgroups.md';
}
