// Configuration of cgroups (AIRLOCK_CGROUPS, AIRLOCK_CGROUP_ROOT, AIRLOCK_SANDBOX_PIDS/CPUS,
// AIRLOCK_TENANT_CPU_WEIGHT; docs/cgroups.md): whether to use them, where, and each sandbox's caps.
import { AirlockError } from '../errors.js';
import { int, oneOf } from './env.js';
import type { Env } from './env.js';

export type CgroupMode = 'auto' | 'on' | 'off';

export interface CgroupConfig {
  /** auto: use cgroups when usable; on: refuse to start without them; off: never. */
  mode: CgroupMode;
  /** Name of Airlock's parent group, created below the server's own group. */
  root: string;
  /** Most tasks (processes + threads) per sandbox. */
  pids: number;
  /** CPU quota per sandbox, cores (fractions allowed). */
  cpus: number;
  /** CPU weight of each tenant's parent group (1..10000; 100 = an ordinary group). */
  tenantWeight: number;
}

/** Highest pids.max the kernel accepts (PID_MAX_LIMIT on 64-bit); above it the write fails. */
const PID_MAX_LIMIT = 4_194_304;

export function cgroupsFrom(env: Env): CgroupConfig {
  const root = env.AIRLOCK_CGROUP_ROOT || 'airlock';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(root)) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_CGROUP_ROOT=${JSON.stringify(root)} must be one group name (letters, digits, . _ -), e.g. airlock`,
    );
  }
  const rawCpus = env.AIRLOCK_SANDBOX_CPUS;
  const cpus = rawCpus === undefined || rawCpus === '' ? 1 : Number(rawCpus);
  if (!Number.isFinite(cpus) || cpus < 0.01 || cpus > 1024) {
    throw new AirlockError('CONFIG_INVALID', `AIRLOCK_SANDBOX_CPUS=${JSON.stringify(rawCpus)} must be a number of cores between 0.01 and 1024, e.g. 1 or 0.5`);
  }
  const tenantWeight = int(env, 'AIRLOCK_TENANT_CPU_WEIGHT', 100, 1);
  if (tenantWeight > 10_000) {
    throw new AirlockError('CONFIG_INVALID', `AIRLOCK_TENANT_CPU_WEIGHT=${tenantWeight} is above 10000; use 1..10000 (100 is the default)`);
  }
  return {
    mode: oneOf(env, 'AIRLOCK_CGROUPS', ['auto', 'on', 'off'] as const, 'auto'),
    root,
    pids: int(env, 'AIRLOCK_SANDBOX_PIDS', 128, 16, PID_MAX_LIMIT),
    cpus,
    tenantWeight,
  };
}
