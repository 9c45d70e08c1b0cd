// Fail-closed attestation of the isolation layers (THREAT-MODEL.md, DESIGN.md principle 5). The
// truth is a real test sandbox: the isolator's check() boots one and reports the layers it had in
// force. Per-layer probes only explain a missing layer and how to fix it. The server refuses to
// start when a required layer is missing; `airlock doctor` prints the same report.
import type { SandboxConfig } from '../../core/config.js';
import { SECURITY_LAYERS } from '../../core/config.js';
import { AirlockError, isAirlockError } from '../../core/errors.js';
import type { SecurityLayer } from '../../core/types.js';
import type { Isolator } from '../port.js';

/** What a probe knows about one layer on this machine: usable or not, and why. */
export interface LayerDiagnosis {
  ok: boolean;
  /** Why it is (un)available; for a missing layer, also how to fix it. */
  detail: string;
}

export type LayerProbe = () => LayerDiagnosis | Promise<LayerDiagnosis>;
export type LayerProbes = Partial<Record<SecurityLayer, LayerProbe>>;

export interface LayerReport {
  layer: SecurityLayer;
  required: boolean;
  /** In force in the test sandbox the isolator started. */
  inForce: boolean;
  detail: string;
}

export interface AttestationReport {
  isolator: string;
  layers: LayerReport[];
  /** Required layers that are not in force. */
  missing: LayerReport[];
  /** Why the test sandbox did not start, when it did not. */
  checkError?: string;
}

/** Explanations used when no probe knows better. */
const DEFAULT_MISSING: Record<SecurityLayer, string> = {
  namespaces: 'sandboxes do not run in their own namespaces; use AIRLOCK_ISOLATION=bwrap (the default) with bubblewrap installed',
  'unprivileged-uid':
    'sandboxes would run as host root; set AIRLOCK_SANDBOX_UID/GID to an unprivileged id (default 65534)',
  seccomp: 'no seccomp filter was applied to the test sandbox',
  cgroups: 'the test sandbox was not placed in a cgroup with limits',
};

/** The detail of every layer when the test sandbox did not start (the reason is said once, as checkError). */
export const NO_TEST_SANDBOX = 'no test sandbox started (the reason is below)';

async function diagnose(probe: LayerProbe | undefined): Promise<LayerDiagnosis | undefined> {
  if (probe === undefined) return undefined;
  try {
    return await probe();
  } catch (err) {
    return { ok: false, detail: `probe failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Boots a test sandbox and reports every layer: required or not, in force or not, and why. */
export async function attestIsolation(
  config: SandboxConfig,
  isolator: Isolator,
  probes: LayerProbes = {},
): Promise<AttestationReport> {
  let inForce: readonly SecurityLayer[] = [];
  let checkError: string | undefined;
  try {
    inForce = (await isolator.check()).layers;
  } catch (err) {
    if (!isAirlockError(err)) throw err;
    checkError = err.message;
  }
  const layers: LayerReport[] = [];
  for (const layer of SECURITY_LAYERS) {
    const diagnosis = await diagnose(probes[layer]);
    const ok = inForce.includes(layer);
    let detail: string;
    if (ok) detail = diagnosis?.detail ?? 'in force in a test sandbox';
    else if (checkError !== undefined) detail = NO_TEST_SANDBOX;
    else if (diagnosis !== undefined && !diagnosis.ok) detail = diagnosis.detail;
    else detail = DEFAULT_MISSING[layer];
    layers.push({ layer, required: config.requiredLayers.includes(layer), inForce: ok, detail });
  }
  const report: AttestationReport = {
    isolator: isolator.name,
    layers,
    missing: layers.filter((l) => l.required && !l.inForce),
  };
  if (checkError !== undefined) report.checkError = checkError;
  return report;
}

/** Throws ISOLATION_UNAVAILABLE naming every missing required layer and how to fix it. */
export function assertRequiredLayers(report: AttestationReport): void {
  if (report.missing.length === 0) return;
  const lines = report.missing.map((l) => `  - ${l.layer}: ${l.detail}`);
  const reason = report.checkError === undefined ? '' : `the test sandbox did not start: ${report.checkError}\n`;
  throw new AirlockError(
    'ISOLATION_UNAVAILABLE',
    `required isolation layer${report.missing.length > 1 ? 's' : ''} missing, refusing to start:\n${lines.join('\n')}\n${reason}` +
      'Run `airlock doctor` for the full report. AIRLOCK_REQUIRED_LAYERS lists the layers the server insists on ' +
      '(lowering it runs tenant code with less isolation: not recommended).',
    { missing: report.missing.map((l) => l.layer) },
  );
}
