// The one place that reads server configuration: environment variables (flags may override)
// into a typed object with documented defaults and units. docs/configuration.md mirrors this.
import { resolve } from 'node:path';
import { AirlockError } from './errors.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_LIMITS, KiB, MiB } from './limits.js';
import type { EgressLimits, FunctionLimits } from './types.js';
import { parseCidr } from '../egress/ip.js';
import type { Cidr } from '../egress/ip.js';
import { DEFAULT_EGRESS_LIMITS, DEFAULT_MAX_EGRESS_LIMITS, EGRESS_LIMIT_KEYS, egressEnvSuffix } from '../egress/limits.js';

export type IsolatorName = 'bwrap' | 'process';

export interface PoolConfig {
  /** Pre-spawned blank sandboxes kept ready (no tenant code loaded yet). */
  blankSize: number;
  /** Global budget of sandbox processes (blank + warm idle + busy). */
  maxSandboxes: number;
  /** A warm sandbox unused this long is destroyed, ms. */
  idleTtlMs: number;
  /** A warm sandbox is retired after this many executions. */
  maxExecutionsPerSandbox: number;
}

export interface AdmissionConfig {
  /** Executions running at once across all tenants. */
  globalConcurrency: number;
  /** Executions running at once for one tenant. */
  tenantConcurrency: number;
  /** Longest a caller waits for a slot before a 429, ms. */
  maxWaitMs: number;
  /** Longest per-tenant wait queue; beyond it callers get a 429 at once. */
  maxQueuePerTenant: number;
}

export interface SandboxConfig {
  isolator: IsolatorName;
  /** bubblewrap executable. */
  bwrapPath: string;
  /** Node.js executable run inside the sandbox. */
  nodePath: string;
  /** Host uid/gid the sandbox runs as when the server runs as root. */
  uid: number;
  gid: number;
  /** Size of the sandbox's writable /tmp and /dev/shm, bytes each. */
  tmpBytes: number;
}

// ---- egress broker (AIRLOCK_EGRESS_*) ----
export interface EgressConfig {
  /** Caps a function gets when its policy sets none. */
  defaultLimits: EgressLimits;
  /** Highest caps a function may ask for (LIMIT_ABOVE_MAXIMUM above). */
  maxLimits: EgressLimits;
  /** Ranges allowed despite the address rules; metadata needs its exact range listed. */
  allowCidrs: Cidr[];
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  adminKey: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest accepted function source, bytes. */
  maxSourceBytes: number;
  /** Largest accepted HTTP request body, bytes (input limit plus envelope). */
  maxBodyBytes: number;
  /** Deepest accepted JSON nesting in inputs. */
  maxJsonDepth: number;
  defaultLimits: FunctionLimits;
  maxLimits: FunctionLimits;
  pool: PoolConfig;
  admission: AdmissionConfig;
  sandbox: SandboxConfig;
  /** Time given to in-flight executions on shutdown before they are failed, ms. */
  shutdownGraceMs: number;
  /** Execution records are flushed to the store at least this often, ms. */
  recordFlushMs: number;
  egress: EgressConfig;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !Number.isInteger(value) || value < min) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `${name}=${JSON.stringify(raw)} is not a valid integer >= ${min}; unset it to use the default (${fallback})`,
    );
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `${name}=${JSON.stringify(raw)} is not one of ${allowed.join(', ')}`,
    );
  }
  return raw as T;
}

function limitsFrom(env: Env, prefix: string, base: FunctionLimits): FunctionLimits {
  return {
    timeoutMs: int(env, `${prefix}TIMEOUT_MS`, base.timeoutMs, 1),
    memoryMiB: int(env, `${prefix}MEMORY_MIB`, base.memoryMiB, 1),
    inputBytes: int(env, `${prefix}INPUT_BYTES`, base.inputBytes, 1),
    resultBytes: int(env, `${prefix}RESULT_BYTES`, base.resultBytes, 1),
    logBytes: int(env, `${prefix}LOG_BYTES`, base.logBytes, 0),
  };
}

function egressLimitsFrom(env: Env, prefix: string, base: EgressLimits): EgressLimits {
  const out = { ...base };
  for (const key of EGRESS_LIMIT_KEYS) {
    out[key] = int(env, `${prefix}${egressEnvSuffix(key)}`, base[key], key === 'requests' || key === 'timeoutMs' ? 1 : 0);
  }
  return out;
}

function loadEgressConfig(env: Env): EgressConfig {
  const maxLimits = egressLimitsFrom(env, 'AIRLOCK_EGRESS_MAX_', DEFAULT_MAX_EGRESS_LIMITS);
  const defaultLimits = egressLimitsFrom(env, 'AIRLOCK_EGRESS_DEFAULT_', DEFAULT_EGRESS_LIMITS);
  for (const key of EGRESS_LIMIT_KEYS) {
    if (defaultLimits[key] > maxLimits[key]) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `AIRLOCK_EGRESS_DEFAULT_${egressEnvSuffix(key)} (${defaultLimits[key]}) is above AIRLOCK_EGRESS_MAX_${egressEnvSuffix(key)} ` +
          `(${maxLimits[key]}); raise the maximum or lower the default`,
      );
    }
  }
  const allowCidrs: Cidr[] = [];
  for (const item of (env.AIRLOCK_EGRESS_ALLOW_CIDRS ?? '').split(',')) {
    if (item.trim() === '') continue;
    try {
      allowCidrs.push(parseCidr(item));
    } catch (err) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `AIRLOCK_EGRESS_ALLOW_CIDRS: ${err instanceof Error ? err.message : String(err)}; use a comma list like 10.1.0.0/16,fd12::/64`,
      );
    }
  }
  return { defaultLimits, maxLimits, allowCidrs };
}

export function loadConfig(env: Env = process.env): Config {
  const maxLimits = limitsFrom(env, 'AIRLOCK_MAX_', DEFAULT_MAX_LIMITS);
  const defaultLimits = limitsFrom(env, 'AIRLOCK_DEFAULT_', DEFAULT_LIMITS);
  for (const key of Object.keys(defaultLimits) as (keyof FunctionLimits)[]) {
    if (defaultLimits[key] > maxLimits[key]) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `default limit ${key} (${defaultLimits[key]}) is above its maximum (${maxLimits[key]}); ` +
          'raise the AIRLOCK_MAX_* value or lower the AIRLOCK_DEFAULT_* value',
      );
    }
  }
  const maxSourceBytes = int(env, 'AIRLOCK_MAX_SOURCE_BYTES', 256 * KiB, 1);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const config: Config = {
    host: env.AIRLOCK_HOST || '127.0.0.1',
    port: int(env, 'AIRLOCK_PORT', 8080, 0),
    dataDir: resolve(env.AIRLOCK_DATA_DIR || './.airlock'),
    databaseUrl: env.AIRLOCK_DATABASE_URL || undefined,
    adminKey: env.AIRLOCK_ADMIN_KEY || undefined,
    logLevel: oneOf(
      env,
      'AIRLOCK_LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
    maxSourceBytes,
    maxBodyBytes: Math.max(maxLimits.inputBytes, maxSourceBytes) + 64 * KiB,
    maxJsonDepth: int(env, 'AIRLOCK_MAX_JSON_DEPTH', 256, 1),
    defaultLimits,
    maxLimits,
    pool: {
      blankSize: int(env, 'AIRLOCK_POOL_SIZE', 2, 0),
      maxSandboxes: int(env, 'AIRLOCK_MAX_SANDBOXES', 64, 1),
      idleTtlMs: int(env, 'AIRLOCK_SANDBOX_IDLE_MS', 60_000, 1),
      maxExecutionsPerSandbox: int(env, 'AIRLOCK_SANDBOX_MAX_EXECUTIONS', 10_000, 1),
    },
    admission: {
      globalConcurrency: int(env, 'AIRLOCK_CONCURRENCY', 32, 1),
      tenantConcurrency: int(env, 'AIRLOCK_TENANT_CONCURRENCY', 8, 1),
      maxWaitMs: int(env, 'AIRLOCK_QUEUE_WAIT_MS', 5_000, 0),
      maxQueuePerTenant: int(env, 'AIRLOCK_TENANT_QUEUE', 1_000, 0),
    },
    sandbox: {
      isolator: oneOf(env, 'AIRLOCK_ISOLATION', ['bwrap', 'process'] as const, 'bwrap'),
      bwrapPath: env.AIRLOCK_BWRAP || 'bwrap',
      nodePath: env.AIRLOCK_SANDBOX_NODE || process.execPath,
      uid: int(env, 'AIRLOCK_SANDBOX_UID', isRoot ? 65534 : (process.getuid?.() ?? 65534), 0),
      gid: int(env, 'AIRLOCK_SANDBOX_GID', isRoot ? 65534 : (process.getgid?.() ?? 65534), 0),
      tmpBytes: int(env, 'AIRLOCK_SANDBOX_TMP_BYTES', 16 * MiB, 1),
    },
    shutdownGraceMs: int(env, 'AIRLOCK_SHUTDOWN_GRACE_MS', 10_000, 0),
    recordFlushMs: int(env, 'AIRLOCK_RECORD_FLUSH_MS', 20, 1),
    egress: loadEgressConfig(env),
  };
  if (config.admission.tenantConcurrency > config.admission.globalConcurrency) {
    config.admission.tenantConcurrency = config.admission.globalConcurrency;
  }
  if (config.sandbox.uid === 0 && isRoot) {
    throw new AirlockError(
      'CONFIG_INVALID',
      'AIRLOCK_SANDBOX_UID=0 would run sandboxes as host root; pick an unprivileged uid (default 65534)',
    );
  }
  return config;
}
