// Entry point of the seccomp layer: the filter for the host's architecture, compiled once per
// caller, and a probe (`seccompStatus`) that a diagnostic command can print.
import type { SeccompConfig } from '../../core/config.js';
import { AirlockError } from '../../core/errors.js';
import { ARCHES, archFor } from './arch.js';
import { compileFilter } from './compile.js';
import type { CompiledFilter } from './compile.js';

export type { Arch, ArchName } from './arch.js';
export type { CompiledFilter, Policy } from './compile.js';
export { archFor, ARCHES } from './arch.js';
export { compileFilter, DEFAULT_POLICY } from './compile.js';

const SUPPORTED = ARCHES.map((a) => a.name).join(', ');

/**
 * The compiled filter for `nodeArch` (default: this process's). Throws
 * AirlockError('ISOLATION_UNAVAILABLE') when the architecture has no filter.
 */
export function hostFilter(nodeArch: string = process.arch): CompiledFilter {
  const arch = archFor(nodeArch);
  if (arch === undefined) {
    throw new AirlockError(
      'ISOLATION_UNAVAILABLE',
      `the seccomp filter supports ${SUPPORTED} only, not ${nodeArch}; run on one of those, or set ` +
        'AIRLOCK_SECCOMP=off to diagnose (sandboxes then run without the syscall allowlist)',
    );
  }
  return compileFilter(arch);
}

export interface SeccompStatus {
  ok: boolean;
  detail: string;
}

/** Whether sandboxes get the seccomp allowlist here, and why not when they do not. */
export function seccompStatus(config: SeccompConfig, nodeArch: string = process.arch): SeccompStatus {
  if (config.mode === 'off') {
    return { ok: false, detail: 'AIRLOCK_SECCOMP=off: sandboxes run WITHOUT the syscall allowlist (diagnosis only)' };
  }
  try {
    const filter = hostFilter(nodeArch);
    return {
      ok: true,
      detail: `${filter.arch.name} filter compiles: ${filter.program.length} instructions, ${filter.allowedCount} syscalls allowed outright, default EPERM`,
    };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}
