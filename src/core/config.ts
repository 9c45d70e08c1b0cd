// The one place that reads server configuration: environment variables (flags may override)
// into a typed object with documented defaults and units. docs/configuration.md mirrors this.
import { resolve } from 'node:path';
import { AirlockError } from './errors.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_LIMITS, KiB, MiB } from './limits.js';
import { parseSecretKey } from './secret-key.js';
import type { EgressLimits, FunctionLimits, SecurityLayer } from './types.js';
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

// ---- seccomp (src/sandbox/seccomp) ----
export type SeccompMode = 'on' | 'off';

export interface SeccompConfig {
  /** `on` (default): every bwrap sandbox gets the syscall allowlist; `off`: diagnosis only. */
  mode: SeccompMode;
}

function seccompFrom(env: Env): SeccompConfig {
  return { mode: oneOf(env, 'AIRLOCK_SECCOMP', ['on', 'off'] as const, 'on') };
}
// ---- end seccomp ----

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
  /** Syscall allowlist applied to bwrap sandboxes. */
  seccomp: SeccompConfig;
  /**
   * Isolation layers every sandbox must have in force (fail closed): the server refuses to start
   * without them, and a sandbox that comes up without one is destroyed before it runs anything.
   */
  requiredLayers: SecurityLayer[];
}

/** Every isolation layer, in the order reports list them. */
export const SECURITY_LAYERS: readonly SecurityLayer[] = ['namespaces', 'unprivileged-uid', 'seccomp', 'cgroups'];

/** AIRLOCK_REQUIRED_LAYERS: a comma list of layers, `none`, or unset for the isolator's default. */
function requiredLayersFrom(env: Env, isolator: IsolatorName): SecurityLayer[] {
  const raw = env.AIRLOCK_REQUIRED_LAYERS?.trim();
  // bwrap's default is every layer; the development process isolator has none to require.
  if (raw === undefined || raw === '') return isolator === 'bwrap' ? [...SECURITY_LAYERS] : [];
  if (raw === 'none') return [];
  const named = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = named.filter((s) => !(SECURITY_LAYERS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_REQUIRED_LAYERS names unknown layer(s) ${unknown.join(', ')}; ` +
        `use a comma list of ${SECURITY_LAYERS.join(', ')}, or "none"`,
    );
  }
  return SECURITY_LAYERS.filter((l) => named.includes(l));
}

/** Per-tenant secrets (values encrypted at rest with one master key). */
export interface SecretsConfig {
  /** Master key from AIRLOCK_SECRET_KEY; undefined: use (or generate) <dataDir>/secret.key. */
  key: Buffer | undefined;
  /** Former master keys (AIRLOCK_SECRET_KEY_PREVIOUS, comma-separated): values sealed with them are re-sealed at start. */
  previousKeys: Buffer[];
  /** Largest secret value, bytes of UTF-8. */
  maxValueBytes: number;
  /** Most hosts one secret may be bound to. */
  maxHosts: number;
  /** Most secrets one tenant may hold. */
  maxPerTenant: number;
}

// ---- Durable queue (jobs, webhooks, schedules) ------------------------------------------------
export interface QueueConfig {
  /** Queue items that may run at once across all tenants and lanes. */
  slots: number;
  /** Of those slots, how many only interactive-lane work may use. */
  interactiveReserved: number;
  /** Queue items one tenant may have running at once (both lanes). */
  tenantConcurrency: number;
  /** Fair-share weight per tenant; tenants not listed weigh 1. */
  tenantWeights: Readonly<Record<string, number>>;
  /** Lease given to a claimed item; it must heartbeat or finish before it ends, ms. */
  leaseMs: number;
  /** Attempts (failures and crashes, not continuations) before an item is dead. */
  maxAttempts: number;
  /** Retry backoff: first delay and cap, ms (jitter picks in [d/2, d]). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Largest payload and checkpoint, bytes of JSON. */
  payloadBytes: number;
  checkpointBytes: number;
}

/** Parses AIRLOCK_QUEUE_TENANT_WEIGHTS: `tenant=weight` pairs separated by commas. */
function tenantWeights(env: Env, name: string): Record<string, number> {
  const raw = env[name];
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  if (raw === undefined || raw.trim() === '') return out;
  for (const part of raw.split(',')) {
    const [tenant, value, extra] = part.trim().split('=');
    const weight = Number(value);
    if (tenant === undefined || tenant === '' || extra !== undefined || !Number.isFinite(weight) || weight <= 0) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `${name} has an invalid entry ${JSON.stringify(part)}; write tenant=weight pairs with weights > 0, ` +
          'separated by commas, e.g. acme=2,globex=0.5',
      );
    }
    out[tenant] = weight;
  }
  return out;
}

function queueFrom(env: Env): QueueConfig {
  const slots = int(env, 'AIRLOCK_QUEUE_SLOTS', 8, 1);
  const interactiveReserved = int(env, 'AIRLOCK_QUEUE_INTERACTIVE_RESERVED', Math.min(2, slots - 1), 0);
  if (interactiveReserved >= slots) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_QUEUE_INTERACTIVE_RESERVED (${interactiveReserved}) must be below AIRLOCK_QUEUE_SLOTS (${slots}), ` +
        'or background work could never run; lower it or raise AIRLOCK_QUEUE_SLOTS',
    );
  }
  const backoffBaseMs = int(env, 'AIRLOCK_QUEUE_BACKOFF_BASE_MS', 1_000, 1);
  const backoffMaxMs = int(env, 'AIRLOCK_QUEUE_BACKOFF_MAX_MS', 300_000, 1);
  if (backoffMaxMs < backoffBaseMs) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_QUEUE_BACKOFF_MAX_MS (${backoffMaxMs}) is below AIRLOCK_QUEUE_BACKOFF_BASE_MS (${backoffBaseMs}); raise it`,
    );
  }
  return {
    slots,
    interactiveReserved,
    tenantConcurrency: Math.min(slots, int(env, 'AIRLOCK_QUEUE_TENANT_CONCURRENCY', 4, 1)),
    tenantWeights: tenantWeights(env, 'AIRLOCK_QUEUE_TENANT_WEIGHTS'),
    leaseMs: int(env, 'AIRLOCK_QUEUE_LEASE_MS', 30_000, 100),
    maxAttempts: int(env, 'AIRLOCK_QUEUE_MAX_ATTEMPTS', 5, 1),
    backoffBaseMs,
    backoffMaxMs,
    payloadBytes: int(env, 'AIRLOCK_QUEUE_PAYLOAD_BYTES', 5.5 * MiB, 1),
    checkpointBytes: int(env, 'AIRLOCK_QUEUE_CHECKPOINT_BYTES', 256 * KiB, 1),
  };
}
// ---- end of durable queue --------------------------------------------------------------------

// ---- Jobs (docs/jobs.md) ---------------------------------------------------------------------
export interface JobsConfig {
  /** Slice length of a job run when the job does not ask for one, ms. */
  defaultRunMs: number;
  /** Longest slice a job may ask for (maxRunMs), ms. */
  maxRunMs: number;
  /** Total time a job may take from submission, over all its slices and retries, ms. */
  deadlineMs: number;
  /** Job slices this server runs at once (each also holds an admission slot). */
  concurrency: number;
  /** How often an idle worker looks for ready jobs, ms (a submission wakes it at once). */
  pollMs: number;
  /**
   * Event-loop utilization (percent) at which job slices yield to foreground requests: while the
   * loop is this busy and requests keep arriving, one slice runs at a time. 100: never yield.
   */
  yieldPercent: number;
}

function jobsFrom(env: Env, queue: QueueConfig, admission: AdmissionConfig): JobsConfig {
  const maxRunMs = int(env, 'AIRLOCK_JOB_MAX_RUN_MS', 3_600_000, 1);
  const defaultRunMs = int(env, 'AIRLOCK_JOB_RUN_MS', Math.min(600_000, maxRunMs), 1);
  if (defaultRunMs > maxRunMs) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_JOB_RUN_MS (${defaultRunMs}) is above AIRLOCK_JOB_MAX_RUN_MS (${maxRunMs}); lower it or raise the maximum`,
    );
  }
  // Job slices hold admission slots; at least one global slot always stays for invocations.
  const room = Math.max(1, admission.globalConcurrency - 1);
  const concurrency = int(env, 'AIRLOCK_JOB_CONCURRENCY', Math.min(queue.slots - queue.interactiveReserved, room), 1);
  if (concurrency > room) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_JOB_CONCURRENCY (${concurrency}) must be below AIRLOCK_CONCURRENCY (${admission.globalConcurrency}) ` +
        'so job slices never take every slot invocations need; lower it or raise AIRLOCK_CONCURRENCY',
    );
  }
  return {
    defaultRunMs,
    maxRunMs,
    deadlineMs: int(env, 'AIRLOCK_JOB_DEADLINE_MS', 86_400_000, 1),
    concurrency,
    pollMs: int(env, 'AIRLOCK_JOB_POLL_MS', 500, 1),
    yieldPercent: Math.min(100, int(env, 'AIRLOCK_JOB_YIELD_PERCENT', 90, 1)),
  };
}
// ---- end of jobs -----------------------------------------------------------------------------
// ---- Schedules (docs/schedules.md) -----------------------------------------------------------
export interface SchedulesConfig {
  /** How often a server looks for due schedules at most, ms (it also wakes at the next due one). */
  pollMs: number;
  /** Shortest time between two occurrences of one schedule, seconds. */
  minIntervalSeconds: number;
  /** Most schedules one tenant may have. */
  perTenant: number;
  /** A claimed occurrence not settled within this long is taken over by another server, ms. */
  claimLeaseMs: number;
}

function schedulesFrom(env: Env): SchedulesConfig {
  return {
    pollMs: int(env, 'AIRLOCK_SCHEDULE_POLL_MS', 1_000, 1),
    minIntervalSeconds: int(env, 'AIRLOCK_SCHEDULE_MIN_INTERVAL_SECONDS', 10, 1),
    perTenant: int(env, 'AIRLOCK_SCHEDULES_PER_TENANT', 100, 1),
    claimLeaseMs: int(env, 'AIRLOCK_SCHEDULE_CLAIM_LEASE_MS', 30_000, 100),
  };
}
// ---- end of schedules ------------------------------------------------------------------------

// ---- Webhooks (docs/webhooks.md) -------------------------------------------------------------
export type WebhookSync = 'full' | 'normal';

export interface WebhooksConfig {
  /** Largest delivery body accepted, bytes (larger: 413, nothing stored). */
  bodyBytes: number;
  /** Most headers kept from a delivery, and their total size in bytes (more: 431, nothing stored). */
  maxHeaders: number;
  headerBytes: number;
  /** Cap on ?wait=<ms>: longest a delivery waits for its function's result, ms. */
  maxWaitMs: number;
  /** Group commit: deliveries arriving within this window share one transaction, ms (0: those read in one event-loop turn). */
  commitWindowMs: number;
  /** Group commit: most deliveries in one transaction. */
  commitMaxBatch: number;
  /** `full`: every group commit is fsynced before its 202s (survives power loss); `normal`: survives a crashed server, not a crashed machine. */
  sync: WebhookSync;
}

function webhooksFrom(env: Env): WebhooksConfig {
  return {
    bodyBytes: int(env, 'AIRLOCK_WEBHOOK_BODY_BYTES', MiB, 1),
    maxHeaders: int(env, 'AIRLOCK_WEBHOOK_MAX_HEADERS', 100, 1),
    headerBytes: int(env, 'AIRLOCK_WEBHOOK_HEADER_BYTES', 16 * KiB, 1),
    maxWaitMs: int(env, 'AIRLOCK_WEBHOOK_MAX_WAIT_MS', 10_000, 0),
    commitWindowMs: int(env, 'AIRLOCK_WEBHOOK_COMMIT_MS', 0, 0),
    commitMaxBatch: int(env, 'AIRLOCK_WEBHOOK_COMMIT_BATCH', 512, 1),
    sync: oneOf(env, 'AIRLOCK_WEBHOOK_SYNC', ['full', 'normal'] as const, 'full'),
  };
}
// ---- end of webhooks -------------------------------------------------------------------------
// ------------------------------------------------------------------ cgroups (docs/cgroups.md)

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

function cgroupsFrom(env: Env): CgroupConfig {
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
    pids: int(env, 'AIRLOCK_SANDBOX_PIDS', 128, 16),
    cpus,
    tenantWeight,
  };
}

// ------------------------------------------------------------------ everything

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
  cgroups: CgroupConfig;
  /** Time given to in-flight executions on shutdown before they are failed, ms. */
  shutdownGraceMs: number;
  /** Execution records are flushed to the store at least this often, ms. */
  recordFlushMs: number;
  secrets: SecretsConfig;
  queue: QueueConfig;
  jobs: JobsConfig;
  webhooks: WebhooksConfig;
  egress: EgressConfig;
  schedules: SchedulesConfig;
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

function secretsFrom(env: Env): SecretsConfig {
  const rawKey = env.AIRLOCK_SECRET_KEY;
  return {
    key: rawKey ? parseSecretKey(rawKey, 'AIRLOCK_SECRET_KEY') : undefined,
    previousKeys: (env.AIRLOCK_SECRET_KEY_PREVIOUS ?? '')
      .split(',')
      .filter((k) => k.trim() !== '')
      .map((k, i) => parseSecretKey(k, `AIRLOCK_SECRET_KEY_PREVIOUS (entry ${i + 1})`)),
    maxValueBytes: int(env, 'AIRLOCK_SECRET_MAX_BYTES', 8 * KiB, 1),
    maxHosts: int(env, 'AIRLOCK_SECRET_MAX_HOSTS', 16, 1),
    maxPerTenant: int(env, 'AIRLOCK_SECRETS_PER_TENANT', 100, 1),
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
  const isolator = oneOf(env, 'AIRLOCK_ISOLATION', ['bwrap', 'process'] as const, 'bwrap');
  const admission: AdmissionConfig = {
    globalConcurrency: int(env, 'AIRLOCK_CONCURRENCY', 32, 1),
    tenantConcurrency: int(env, 'AIRLOCK_TENANT_CONCURRENCY', 8, 1),
    maxWaitMs: int(env, 'AIRLOCK_QUEUE_WAIT_MS', 5_000, 0),
    maxQueuePerTenant: int(env, 'AIRLOCK_TENANT_QUEUE', 1_000, 0),
  };
  const queue = queueFrom(env);
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
    admission,
    sandbox: {
      isolator,
      bwrapPath: env.AIRLOCK_BWRAP || 'bwrap',
      nodePath: env.AIRLOCK_SANDBOX_NODE || process.execPath,
      uid: int(env, 'AIRLOCK_SANDBOX_UID', isRoot ? 65534 : (process.getuid?.() ?? 65534), 0),
      gid: int(env, 'AIRLOCK_SANDBOX_GID', isRoot ? 65534 : (process.getgid?.() ?? 65534), 0),
      tmpBytes: int(env, 'AIRLOCK_SANDBOX_TMP_BYTES', 16 * MiB, 1),
      seccomp: seccompFrom(env),
      requiredLayers: requiredLayersFrom(env, isolator),
    },
    cgroups: cgroupsFrom(env),
    shutdownGraceMs: int(env, 'AIRLOCK_SHUTDOWN_GRACE_MS', 10_000, 0),
    recordFlushMs: int(env, 'AIRLOCK_RECORD_FLUSH_MS', 20, 1),
    secrets: secretsFrom(env),
    queue,
    jobs: jobsFrom(env, queue, admission),
    webhooks: webhooksFrom(env),
    egress: loadEgressConfig(env),
    schedules: schedulesFrom(env),
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
