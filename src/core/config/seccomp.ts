// Configuration of the seccomp syscall allowlist (AIRLOCK_SECCOMP; the filter is src/sandbox/seccomp).
import { oneOf } from './env.js';
import type { Env } from './env.js';

export type SeccompMode = 'on' | 'off';

export interface SeccompConfig {
  /** `on` (default): every bwrap sandbox gets the syscall allowlist; `off`: diagnosis only. */
  mode: SeccompMode;
}

export function seccompFrom(env: Env): SeccompConfig {
  return { mode: oneOf(env, 'AIRLOCK_SECCOMP', ['on', 'off'] as const, 'on') };
}
