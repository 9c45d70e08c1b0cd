// The one place that reads server configuration: environment variables (flags may override)
// into a typed object with documented defaults and units. docs/configuration.md mirrors this.
// Each section is read by its own file under config/ (env.ts holds the parsing primitives); this
// file assembles them, checks what spans sections, and is the only one importers use.
import { resolve } from 'node:path';
import { AirlockError, isAirlockError } from './errors.js';
import { inputBodyLimit, KiB, MiB } from './limits.js';
import { defaultMaxConnections, openFilesSoftLimit } from './open-files.js';
import { adminKeyFrom, previousAdminKeysFrom } from './config/admin-key.js';
import { trustProxyFrom } from './config/trust-proxy.js';
import { publicUrlFrom } from './config/public-url.js';
import { admissionFrom, capAdmission } from './config/admission.js';
import type { AdmissionConfig } from './config/admission.js';
import { cgroupsFrom } from './config/cgroups.js';
import type { CgroupConfig } from './config/cgroups.js';
import { databaseUrlFrom } from './config/database.js';
import { egressFrom } from './config/egress.js';
import type { EgressConfig } from './config/egress.js';
import { int, oneOf, TIMER_MAX_MS } from './config/env.js';
import type { Env } from './config/env.js';
import { jobsFrom } from './config/jobs.js';
import type { JobsConfig } from './config/jobs.js';
import { functionLimitsFrom } from './config/limits.js';
import { poolFrom } from './config/pool.js';
import type { PoolConfig } from './config/pool.js';
import { capQueueByAdmission, queueFrom } from './config/queue.js';
import type { QueueConfig } from './config/queue.js';
import { isolatorFrom, sandboxFrom } from './config/sandbox.js';
import type { SandboxConfig } from './config/sandbox.js';
import { schedulesFrom } from './config/schedules.js';
import type { SchedulesConfig } from './config/schedules.js';
import { secretsFrom } from './config/secrets.js';
import { sourceFrom } from './config/source.js';
import type { SecretsConfig } from './config/secrets.js';
import { webhooksFrom } from './config/webhooks.js';
import type { WebhooksConfig } from './config/webhooks.js';
import type { FunctionLimits } from './types.js';

export type { AdmissionConfig } from './config/admission.js';
export type { CgroupConfig, CgroupMode } from './config/cgroups.js';
export type { EgressConfig } from './config/egress.js';
export type { JobsConfig } from './config/jobs.js';
export type { PoolConfig } from './config/pool.js';
export type { QueueConfig } from './config/queue.js';
export type { IsolatorName, SandboxConfig } from './config/sandbox.js';
export { SECURITY_LAYERS } from './config/sandbox.js';
export type { SchedulesConfig } from './config/schedules.js';
export type { SeccompConfig, SeccompMode } from './config/seccomp.js';
export type { SecretsConfig } from './config/secrets.js';
export type { WebhookSync, WebhooksConfig } from './config/webhooks.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  adminKey: string | undefined;
  /** Former admin keys still accepted (AIRLOCK_ADMIN_KEY_PREVIOUS), for a rotation without a gap; each use is logged. */
  previousAdminKeys: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * `airlock server` prints its start banner (URL, admin key on the start that generates it, an
   * example) on stdout; `off` for a service whose stdout should hold JSON log lines only.
   */
  banner: boolean;
  /** Largest accepted function source, bytes. */
  maxSourceBytes: number;
  /** Largest accepted source of a deploy with `bundle: true`, bytes; never below maxSourceBytes. */
  maxBundleBytes: number;
  /**
   * Largest accepted HTTP request body, bytes: twice the input maximum plus room for the rest of
   * the request. The input limit is measured on the input as compact UTF-8 JSON; the body as sent,
   * where `\uXXXX` escapes (Python's json.dumps writes them by default) and whitespace can double
   * it. A deploy has its own limit, from maxBundleBytes.
   */
  maxBodyBytes: number;
  /** Most inputs one invoke-batch request may carry (each runs as its own execution). */
  maxBatchInputs: number;
  /** Most characters of results and logs one tenant's running batches hold at once (AIRLOCK_BATCH_RESULT_BYTES). */
  batchResultBytes: number;
  /**
   * A request's line, headers and body must all arrive within this long, ms (408 otherwise, the
   * connection closed): a client that sends slowly, or never finishes, cannot hold a connection
   * and its buffered body for ever. Answering takes as long as it takes (not counted).
   */
  requestTimeoutMs: number;
  /**
   * Most client connections open at once; more are closed as soon as they are accepted (logged),
   * so a flood of connections cannot take the descriptors sandboxes and the database need.
   * Default: half the server's open-files limit, at most 10 000.
   */
  maxConnections: number;
  /** Reverse proxies whose X-Forwarded-For names the client (AIRLOCK_TRUST_PROXY); empty: none. */
  trustProxy: string[];
  /** Where third parties reach this server (AIRLOCK_PUBLIC_URL), no trailing slash: webhook URLs are given in full. */
  publicUrl: string | undefined;
  /**
   * Most bytes of large request bodies (64 KiB and more) held at once, from their parse until
   * their answer is sent; a body that would go above it is refused 429 (api/body-budget.ts).
   */
  bodyBytesInFlight: number;
  /** Deepest accepted JSON nesting in inputs. */
  maxJsonDepth: number;
  /**
   * A page of executions or jobs stops once its records reach this many bytes of JSON (at least
   * one record per page, however large); `next` then says there is more.
   */
  listPageBytes: number;
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
  /**
   * Execution records, queue items in a terminal status and settled schedule occurrences are
   * deleted this long after they finished (occurred), hours; 0 keeps them forever.
   */
  retentionHours: number;
  secrets: SecretsConfig;
  queue: QueueConfig;
  jobs: JobsConfig;
  webhooks: WebhooksConfig;
  egress: EgressConfig;
  schedules: SchedulesConfig;
}

/** Highest TCP port; Node refuses to listen on a higher one. */
const MAX_PORT = 65_535;

/** Most invalid variables one refusal lists. */
const MAX_REPORTED = 20;

/** The variable a refusal is about alone, when it is (`details.variable`). */
function refusedVariable(err: unknown): string | undefined {
  if (!isAirlockError(err) || err.code !== 'CONFIG_INVALID') return undefined;
  const variable = err.details?.variable;
  return typeof variable === 'string' ? variable : undefined;
}

/**
 * Reads the configuration; refuses it with CONFIG_INVALID naming every invalid variable at once:
 * after a refusal about one variable, the rest is read again without it (as if unset) to find the
 * next. One invalid variable is refused with its own error, as is a refusal about no single
 * variable (those are checked once each section is valid).
 */
export function loadConfig(env: Env = process.env): Config {
  const refusals: AirlockError[] = [];
  let current = env; // read directly while nothing is refused (unknownSettings records the reads)
  for (;;) {
    try {
      const config = readConfig(current);
      if (refusals.length === 0) return config;
      break;
    } catch (err) {
      const variable = refusedVariable(err);
      if (refusals.length === 0 && variable === undefined) throw err;
      if (variable !== undefined && isAirlockError(err)) refusals.push(err);
      if (variable === undefined || refusals.length >= MAX_REPORTED) break;
      current = { ...current, [variable]: undefined };
    }
  }
  if (refusals.length === 1) throw refusals[0]!;
  const variables = refusals.map((r) => refusedVariable(r)!);
  throw new AirlockError(
    'CONFIG_INVALID',
    `${refusals.length} settings are invalid (${variables.join(', ')}):\n${refusals.map((r) => `  - ${r.message}`).join('\n')}`,
    { variables },
  );
}

// Sections are read in a fixed order (so the refusals are listed in the same order every time).
function readConfig(env: Env): Config {
  const { defaultLimits, maxLimits } = functionLimitsFrom(env);
  const { maxSourceBytes, maxBundleBytes } = sourceFrom(env);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const isolator = isolatorFrom(env);
  const admission = admissionFrom(env);
  const queue = queueFrom(env, maxLimits.inputBytes);
  const dataDir = resolve(env.AIRLOCK_DATA_DIR || './.airlock');
  const config: Config = {
    host: env.AIRLOCK_HOST || '127.0.0.1',
    port: int(env, 'AIRLOCK_PORT', 8080, 0, MAX_PORT),
    dataDir,
    databaseUrl: databaseUrlFrom(env, dataDir),
    adminKey: adminKeyFrom(env),
    previousAdminKeys: previousAdminKeysFrom(env),
    logLevel: oneOf(
      env,
      'AIRLOCK_LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
    banner: oneOf(env, 'AIRLOCK_BANNER', ['on', 'off'] as const, 'on') === 'on',
    maxSourceBytes,
    maxBundleBytes,
    maxBodyBytes: inputBodyLimit(maxLimits.inputBytes),
    requestTimeoutMs: int(env, 'AIRLOCK_REQUEST_TIMEOUT_MS', 60_000, 100, TIMER_MAX_MS),
    maxConnections: int(env, 'AIRLOCK_MAX_CONNECTIONS', defaultMaxConnections(openFilesSoftLimit()), 1),
    trustProxy: trustProxyFrom(env),
    publicUrl: publicUrlFrom(env),
    bodyBytesInFlight: int(env, 'AIRLOCK_BODY_BYTES_IN_FLIGHT', 256 * MiB, 64 * KiB),
    maxJsonDepth: int(env, 'AIRLOCK_MAX_JSON_DEPTH', 256, 1),
    maxBatchInputs: int(env, 'AIRLOCK_MAX_BATCH_INPUTS', 100, 1, 10_000),
    batchResultBytes: int(env, 'AIRLOCK_BATCH_RESULT_BYTES', 64 * MiB, 1 * KiB),
    listPageBytes: int(env, 'AIRLOCK_LIST_PAGE_BYTES', 4 * MiB, 1 * KiB),
    defaultLimits,
    maxLimits,
    pool: poolFrom(env),
    admission,
    sandbox: sandboxFrom(env, isolator, isRoot),
    cgroups: cgroupsFrom(env),
    shutdownGraceMs: int(env, 'AIRLOCK_SHUTDOWN_GRACE_MS', 10_000, 0, TIMER_MAX_MS),
    recordFlushMs: int(env, 'AIRLOCK_RECORD_FLUSH_MS', 20, 1, TIMER_MAX_MS),
    retentionHours: int(env, 'AIRLOCK_RETENTION_HOURS', 720, 0),
    secrets: secretsFrom(env),
    queue,
    jobs: jobsFrom(env, queue, admission),
    webhooks: webhooksFrom(env),
    egress: egressFrom(env),
    schedules: schedulesFrom(env),
  };
  capAdmission(config.admission);
  capQueueByAdmission(config.queue, config.admission);
  if (config.sandbox.uid === 0 && isRoot) {
    throw new AirlockError(
      'CONFIG_INVALID',
      'AIRLOCK_SANDBOX_UID=0 would run sandboxes as host root; pick an unprivileged uid (default 65534)',
    );
  }
  return config;
}
