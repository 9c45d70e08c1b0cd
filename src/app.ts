// Composition root: builds every component from the config, starts the HTTP server, and stops
// everything in order (stop admitting, drain or kill in-flight executions, flush records).
import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Config } from './core/config.js';
import { CleanupStack } from './core/cleanup-stack.js';
import { StopSteps } from './core/stop-steps.js';
import { prepareDataDir } from './core/data-dir.js';
import { AirlockError } from './core/errors.js';
import type { SecurityLayer } from './core/types.js';
import type { Logger } from './core/logger.js';
import { Metrics } from './api/metrics.js';
import { WorkMetrics } from './api/work-metrics.js';
import { StorageMetrics } from './api/storage-metrics.js';
import { buildServer } from './api/server.js';
import { listenError, probeListen } from './api/listen-error.js';
import { Admission } from './scheduler/admission.js';
import { openIsolation } from './sandbox/open-isolation.js';
import { SandboxStartHealth } from './sandbox/start-health.js';
import { OffThreadInputParser } from './core/json-thread/parser.js';
import { SandboxPool } from './sandbox/pool.js';
import { BUDGET_WATCH_DEFAULTS, BudgetWatch } from './sandbox/budget-watch.js';
import type { BudgetWatchOptions } from './sandbox/budget-watch.js';
import { FunctionCache } from './services/function-cache.js';
import { FunctionService } from './services/functions.js';
import { sandboxedParser } from './services/node-parse.js';
import { SandboxFunctions } from './services/sandbox-functions.js';
import { noDeliveryRoom } from './services/jobs/lane-room.js';
import { InvokeService } from './services/invoke.js';
import { InvokeBatch } from './services/invoke-batch.js';
import { JobService } from './services/jobs/service.js';
import { JobWorker } from './services/jobs/worker.js';
import { ForegroundPacer } from './services/jobs/pacer.js';
import type { PacerOptions } from './services/jobs/pacer.js';
import { ScheduleRunner } from './services/schedules/runner.js';
import { ScheduleService } from './services/schedules/service.js';
import { openScheduleStore } from './store/schedules.js';
import { GroupCommitter } from './services/hooks/group-commit.js';
import { HookService } from './services/hooks/service.js';
import { WebhookTokens } from './services/hooks/tokens.js';
import { WebhookVerifier } from './services/hooks/verifier.js';
import { resealWithCurrentKey } from './services/key-rotation.js';
import { CompletionWaiters } from './services/hooks/waiters.js';
import { adminKeyPath, ensureAdminKey, KeyService } from './services/keys.js';
import { logAdminKey, PreviousAdminKeyLog } from './services/admin-key-log.js';
import type { AdminKey } from './services/keys.js';
import { ExecutionRecorder } from './services/recorder.js';
import { OutcomeLog } from './services/outcome-log.js';
import { DeadLog } from './services/jobs/dead-log.js';
import { logWaitingWork } from './services/jobs/waiting-work.js';
import { pausedWork, warnAboutPausedWork } from './services/paused-work.js';
import { RetentionPurger } from './services/retention.js';
import { healthProblems } from './services/health.js';
import type { HealthProblem } from './services/health.js';
import { generateSecretKey, readSecretKey, secretKeyPath } from './services/secrets/key-file.js';
import type { SecretKeySource } from './services/secrets/key-file.js';
import { sealingKey } from './services/secrets/crypto.js';
import { refuseToReplaceLostKey, warnAboutUnopenable } from './services/secrets/sealed-check.js';
import { SecretService } from './services/secrets/service.js';
import { openQueue, openStore, sqliteFile } from './store/index.js';
import { logSchemaChange } from './store/schema-change.js';
import { refuseEmptyDatabase } from './store/storage-errors.js';
import type { Store } from './store/port.js';
import { startCheckpointer } from './store/sqlite/checkpointer.js';
import { openTenantStore } from './store/tenants.js';
import { TenantService } from './services/tenants/service.js';
import { HttpEgressBroker } from './egress/broker.js';
import type { Connector, Resolver } from './egress/transport.js';
import type { SecretSource } from './egress/types.js';

export interface Airlock {
  server: FastifyInstance;
  /** Base URL the server listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  adminKey: AdminKey;
  isolation: string;
  /** Isolation layers attested in a test sandbox at startup. */
  layers: SecurityLayer[];
  pool: SandboxPool;
  /** Tenant secrets; also the SecretSource for the egress broker. */
  secrets: SecretService;
  /** Fires schedules (tick() acts on due occurrences now). */
  scheduleRunner: ScheduleRunner;
  /**
   * Graceful stop; safe to call more than once. Every part is closed even when one fails; then it
   * rejects (INTERNAL, naming the parts) after logging each failure and the final "stopped" line.
   */
  stop(): Promise<void>;
  /**
   * Forced stop (a second signal): the same stop, its grace period ended now, begun if it was not
   * yet. Calls in flight have their sandboxes stopped and answer `killed` (those still waiting for
   * a slot or a sandbox 503 SHUTTING_DOWN), their records are written, job slices are queued again
   * as continuations (claimable at once by the next server), and no sandbox is left. Resolves or
   * rejects with the stop.
   */
  stopNow(): Promise<void>;
}

/** Components a caller may supply instead of the defaults (tests). */
export interface AirlockOverrides {
  /** Where egress gets secret values (default: the tenant secrets service). */
  secrets?: SecretSource;
  /** DNS and connections of the egress broker (tests inject their own). */
  egressResolver?: Resolver;
  egressConnector?: Connector;
  /** Clock of schedules, epoch ms (tests move it to reach occurrences). Default Date.now. */
  scheduleClock?: () => number;
  /** Wraps the store the server opened (tests inject store failures at this boundary). */
  wrapStore?: (store: Store) => Store;
  /** The sandbox budget watch's threshold and intervals (tests shorten them). */
  budgetWatch?: Partial<Omit<BudgetWatchOptions, 'maxSandboxes'>>;
  /** The foreground pacer's window and request minimum (tests make any traffic count as pressure). */
  pacer?: Partial<Pick<PacerOptions, 'windowMs' | 'minForeground'>>;
}

/** After the last call is answered, how long open connections get before they are cut, ms. */
const CONNECTION_GRACE_MS = 1_000;
/**
 * Foreground pressure is judged over windows this long, ms, with at least this many requests in
 * one (50 a second: more than health checks and scrapes, fewer than a loop saturated by requests
 * answers on a slow machine).
 */
const PACER_WINDOW_MS = 100;
const PACER_MIN_FOREGROUND = 5;
/** How often the background checkpointer moves the database log into the database file, ms. */
const CHECKPOINT_INTERVAL_MS = 100;

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export async function startAirlock(config: Config, logger: Logger, overrides: AirlockOverrides = {}): Promise<Airlock> {
  // First, before anything is written, spawned or opened: a port the server cannot listen on, a
  // data dir that cannot hold our files, or a key file others can read, stops the start.
  await probeListen(config.host, config.port);
  prepareDataDir(config.dataDir);
  // A missing key is generated only once the database is open (nothing sealed with a lost key).
  const secretKey = readSecretKey(config.dataDir, config.secrets.key, config.secrets.previousKeys);
  // An admin key given or already in its file is read (and checked) now; a missing one is made
  // once the isolation is known to work (openAndListen), so a start refused for it (no bubblewrap,
  // the usual first start) leaves no key behind that no banner showed.
  const given = config.adminKey !== undefined || existsSync(adminKeyPath(config.dataDir));
  const adminKey = given ? ensureAdminKey(config.dataDir, config.adminKey) : undefined;
  // From here on, whatever is opened is closed again if the start fails (no process, thread or
  // cgroup left behind, so the process can exit with the error).
  const cleanup = new CleanupStack();
  try {
    return await openAndListen(config, logger, overrides, { secretKey, adminKey, cleanup });
  } catch (err) {
    await cleanup.closeAll((closeErr) => logger.warn({ err: closeErr }, 'could not close everything after a failed start'));
    throw err;
  }
}

/** What the start made before opening anything, and where what it opens registers its close. */
interface StartContext {
  /** undefined: neither AIRLOCK_SECRET_KEY nor secret.key; one is generated if nothing needs the old one. */
  secretKey: SecretKeySource | undefined;
  /** undefined: neither AIRLOCK_ADMIN_KEY nor admin.key; one is generated once the isolation works. */
  adminKey: AdminKey | undefined;
  cleanup: CleanupStack;
}

async function openAndListen(config: Config, logger: Logger, overrides: AirlockOverrides, context: StartContext): Promise<Airlock> {
  const { cleanup } = context;
  // Large request bodies, job payloads and sandboxes' large results are parsed on this thread,
  // off the event loop.
  const jsonThread = new OffThreadInputParser({ maxDepth: config.maxJsonDepth, logger });
  cleanup.add(() => jsonThread.close());
  const opened = await openIsolation(config, logger, cleanup, jsonThread);
  const adminKey = context.adminKey ?? ensureAdminKey(config.dataDir, undefined);
  // A key generated beside an existing database replaced one (its file was deleted); on a first start it is just the first.
  logAdminKey(adminKey, logger, existsSync(sqliteFile(config)), config.previousAdminKeys.length);
  const { isolator, layers, cgroups } = opened;
  // Whether sandboxes still start (GET /healthz, check "sandboxes"), from every start the pool makes.
  const sandboxStarts = new SandboxStartHealth(logger);
  const sandboxes = sandboxStarts.watch(opened.sandboxes);

  // An emptied database in a used data dir would start as a new, empty server: refused instead.
  refuseEmptyDatabase(sqliteFile(config), secretKeyPath(config.dataDir));
  const openedStore = await openStore(config);
  logSchemaChange(openedStore.appliedMigrations?.() ?? [], logger);
  const store = overrides.wrapStore?.(openedStore) ?? openedStore;
  cleanup.add(() => store.close());
  await store.migrate();
  const workMetrics = new WorkMetrics();
  const deadLog = new DeadLog(logger, workMetrics);
  const queue = await openQueue(config, deadLog.note);
  cleanup.add(() => queue.close());
  await logWaitingWork(queue, logger, config.jobs.paused);
  const scheduleStore = await openScheduleStore(config);
  cleanup.add(() => scheduleStore.close());
  const tenantStore = await openTenantStore(config);
  cleanup.add(() => tenantStore.close());
  // Log checkpoints run in a worker thread, off the event loop; without it the connections' own
  // autocheckpoint still bounds the log.
  const checkpointer = await startCheckpointer(sqliteFile(config), CHECKPOINT_INTERVAL_MS).catch((err: unknown) => {
    logger.warn({ err }, 'could not start the background checkpointer; connections checkpoint the database log themselves');
    return undefined;
  });
  cleanup.add(() => checkpointer?.stop());
  const previousKeyLog = new PreviousAdminKeyLog(logger, () => metrics.recordPreviousAdminKey());
  const keys = new KeyService(store, adminKey.key, config.previousAdminKeys, () => previousKeyLog.used());
  let secretKey = context.secretKey;
  /** Sealed values no configured key opens, as found at the start (GET /healthz). */
  let secretsProblem: string | undefined;
  if (secretKey === undefined) {
    await refuseToReplaceLostKey(store, secretKeyPath(config.dataDir), config.secrets.previousKeys);
    secretKey = generateSecretKey(config.dataDir);
    logger.warn({ path: secretKey.path }, 'generated the secrets master key; back it up: without it stored secrets cannot be decrypted');
  } else if (config.secrets.previousKeys.length === 0) {
    // Values sealed with a key the server is not given are said now, not at their first failed use
    // (with previous keys, the re-sealing below reports them).
    secretsProblem = await warnAboutUnopenable(store, [secretKey.key], logger);
  }
  // The key id (one byte of a hash of the key, never key material) is what SECRET_UNREADABLE names.
  logger.info(
    { keyId: sealingKey(secretKey.key).id, from: secretKey.from, path: secretKey.path ?? null, previousKeyIds: config.secrets.previousKeys.map((k) => sealingKey(k).id) },
    'secrets master key',
  );
  const sealingKeys = { current: secretKey.key, previous: config.secrets.previousKeys };
  const secrets = new SecretService(store, sealingKeys, config.secrets, { logger });
  const webhookTokens = new WebhookTokens(store, sealingKeys);
  const webhookVerifier = new WebhookVerifier({ store, secrets, logger });
  if (config.secrets.previousKeys.length > 0) await resealWithCurrentKey(secrets, webhookTokens, logger);
  // Deploy-time parsing of tenant source by V8 happens in sandboxes too, one per deploy.
  const parser = sandboxedParser(sandboxes);
  const functions = new FunctionService(store, config, parser);
  const functionCache = new FunctionCache(functions);
  const recorder = new ExecutionRecorder(store, config, logger, { outcomes: new OutcomeLog(logger) });
  cleanup.add(() => recorder.close());
  const admission = new Admission(config.admission);
  const pool = new SandboxPool(sandboxes, config.pool, config.defaultLimits.memoryMiB, logger, config.cgroups.cpus);
  const metrics = new Metrics({ version: VERSION });
  metrics.observePool(() => pool.stats());
  metrics.observeAdmission(() => admission.stats());
  metrics.observeRecords(() => ({ pending: recorder.backlog, dropped: recorder.dropped }));
  workMetrics.observeQueue(() => queue.counts());
  metrics.attach(workMetrics);
  metrics.attach(new StorageMetrics(sqliteFile(config)));
  // The broker reads tenant secrets from the secrets service (tests may supply their own source).
  const egress = new HttpEgressBroker({
    secrets: overrides.secrets ?? secrets,
    allowCidrs: config.egress.allowCidrs,
    defaultLimits: config.egress.defaultLimits,
    ...(overrides.egressResolver === undefined ? {} : { resolver: overrides.egressResolver }),
    ...(overrides.egressConnector === undefined ? {} : { connector: overrides.egressConnector }),
    metrics: workMetrics,
  });
  // Out-of-memory errors name the other functions that shared the sandbox's heap.
  const sandboxFunctions = new SandboxFunctions();
  const invoke = new InvokeService({
    config, functions: functionCache, admission, pool, recorder, metrics, isolation: isolator.isolation, egress, sandboxFunctions,
  });
  const invokeBatch = new InvokeBatch({ config, functions: functionCache, admission, invoke });

  // Jobs run on the same admission, pool and isolation as invocations (docs/jobs.md).
  const waiters = new CompletionWaiters(queue);
  // Job slices yield the event loop to foreground requests while it is saturated (pacer.ts).
  const pacer = new ForegroundPacer({
    saturation: config.jobs.yieldPercent / 100, windowMs: PACER_WINDOW_MS, minForeground: PACER_MIN_FOREGROUND, ...overrides.pacer,
  });
  const worker = new JobWorker({
    config, queue, functions: functionCache, admission, pool, recorder, isolation: isolator.isolation, egress, logger,
    metrics: workMetrics, onSettled: (id) => waiters.notify(id), pacer, jsonThread, sandboxFunctions,
  });
  const jobs = new JobService({ config, queue, functions: functionCache, runner: worker, jsonThread, metrics: workMetrics });
  // Schedules fire background jobs (docs/schedules.md).
  const scheduleClock = overrides.scheduleClock === undefined ? {} : { now: overrides.scheduleClock };
  const scheduleRunner = new ScheduleRunner({ config, store: scheduleStore, queue, jobs, logger, ...scheduleClock });
  const schedules = new ScheduleService({ config, store: scheduleStore, functions: functionCache, runner: scheduleRunner, ...scheduleClock });
  // Webhook deliveries are jobs too, stored by group commit (docs/webhooks.md).
  // The worker is woken once per committed batch, not per delivery (each wake may cost a claim).
  const committer = new GroupCommitter(queue, {
    windowMs: config.webhooks.commitWindowMs, maxBatch: config.webhooks.commitMaxBatch, onCommit: () => worker.wake(),
  });
  cleanup.add(() => committer.close());
  const hooks = new HookService({ config, tokens: webhookTokens, verifier: webhookVerifier, functions: functionCache, committer, waiters, metrics: workMetrics });
  const forget = [keys, webhookTokens, webhookVerifier].map((c) => (tenant: string) => c.forgetTenant(tenant));
  const tenants = new TenantService({
    store: tenantStore, runner: worker, pool, recorder, logger, forget: [...forget, (tenant) => functionCache.invalidateTenant(tenant)],
  });

  let shuttingDown = false;
  const health = (): HealthProblem[] =>
    healthProblems({
      records: () => recorder.writeProblem, jobs: () => worker.claimProblem, secrets: () => secretsProblem, sandboxes: () => sandboxStarts.problem,
    });
  metrics.observeHealth(health);
  metrics.setPaused(pausedWork(config));
  const server = await buildServer({
    config, logger, functions, functionCache, invoke, invokeBatch, jobs, schedules, hooks, webhookTokens, webhookVerifier, recorder, keys, secrets, tenants, metrics, workMetrics, jsonThread,
    isolation: isolator.isolation, layers, version: VERSION, isShuttingDown: () => shuttingDown, health,
  });
  server.server.on('request', () => pacer.noteForeground());
  pool.start();
  cleanup.add(() => pool.close());
  const budgetWatch = new BudgetWatch(() => pool.stats().evicted, logger, {
    ...BUDGET_WATCH_DEFAULTS, ...overrides.budgetWatch, maxSandboxes: config.pool.maxSandboxes,
  });
  budgetWatch.start();
  cleanup.add(() => budgetWatch.stop());
  /** Records, deliveries being committed, then the database handles, last the checkpointer: each even if one before failed. */
  const closeStorage = async (steps: StopSteps): Promise<void> => {
    await steps.run('execution records', () => recorder.close());
    await steps.run('schedule store', () => scheduleStore.close());
    await steps.run('webhook deliveries', () => committer.close());
    await steps.run('queue', () => queue.close());
    await steps.run('tenant store', () => tenantStore.close());
    deadLog.close(); // the deaths it left out of the log are counted in one line each
    await steps.run('store', () => store.close());
    await steps.run('checkpointer', () => checkpointer?.stop());
  };
  try {
    await server.listen({ host: config.host, port: config.port });
  } catch (err) {
    throw listenError(err, config.host, config.port);
  }
  if (!config.jobs.paused) worker.start();
  const cramped = noDeliveryRoom(config.jobs, config.queue.interactiveReserved, config.admission.globalConcurrency);
  if (cramped !== undefined && !config.jobs.paused) logger.warn({}, cramped);
  scheduleRunner.start();
  warnAboutPausedWork(config, logger);
  // Rows past AIRLOCK_RETENTION_HOURS are deleted in small batches, a round a minute (0: never).
  const retention = config.retentionHours > 0
    ? new RetentionPurger({
      hours: config.retentionHours, store, queue, schedules: scheduleStore, logger, metrics,
      ...(overrides.scheduleClock === undefined ? {} : { scheduleNow: overrides.scheduleClock }),
    })
    : undefined;
  retention?.start();
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  let stopping: Promise<void> | undefined;
  /** Aborted by stopNow(): ends the grace period of calls and job slices in flight at once. */
  const graceCut = new AbortController();
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      shuttingDown = true;
      logger.info({ inFlight: invoke.running, jobSlices: worker.active }, 'shutting down');
      // A part that fails to stop is logged and the rest still stop (no database handle, worker
      // thread or record left behind because of another part).
      const steps = new StopSteps((part, err) => logger.error({ err, part }, `could not stop ${part}; stopping the rest`));
      admission.close();
      hooks.stopWaiting();
      const closed = server.close();
      closed.catch(() => undefined); // a failure is reported when awaited, below, not as unhandled meanwhile
      await steps.run('schedules', () => scheduleRunner.stop());
      await steps.run('retention', () => retention?.stop());
      // Job slices get the same grace; those still running after it resume later (continuations).
      await Promise.all([
        steps.run('invocations', async () => {
          if (!(await invoke.drain(config.shutdownGraceMs, graceCut.signal)) && invoke.running > 0) {
            const why = graceCut.signal.aborted ? 'forced stop' : 'grace period over';
            logger.warn({ inFlight: invoke.running }, `${why}: killing in-flight executions`);
          }
        }),
        steps.run('job worker', () => worker.stop(config.shutdownGraceMs, graceCut.signal)),
      ]);
      budgetWatch.stop();
      await steps.run('sandbox pool', () => pool.close());
      await steps.run('json thread', () => jsonThread.close());
      // Deploys in flight finish their syntax check (each is bounded by its deadline) first.
      await steps.run('deploy checks', () => parser.close());
      await steps.run('isolator', () => isolator.close());
      await steps.run('cgroups', () => cgroups?.close());
      // Calls that were in flight have been answered; their clients' keep-alive connections are
      // idle now and would hold close() open forever. Anything still open a moment later (a slow
      // reader) is cut.
      server.server.closeIdleConnections();
      const cut = setTimeout(() => server.server.closeAllConnections(), CONNECTION_GRACE_MS);
      await steps.run('http server', () => closed);
      clearTimeout(cut);
      await closeStorage(steps);
      if (steps.failed.length === 0) {
        logger.info('stopped');
        return;
      }
      logger.warn({ failed: steps.failed }, 'stopped');
      throw new AirlockError(
        'INTERNAL',
        `stopped, but could not stop ${steps.failed.join(', ')}; the server log has an error line for each with the reason`,
        { failed: steps.failed },
      );
    })();
    return stopping;
  };
  const stopNow = (): Promise<void> => {
    if (!graceCut.signal.aborted) {
      logger.warn({ inFlight: invoke.running, jobSlices: worker.active }, 'stopping now: ending calls in flight and job slices without waiting for them');
      graceCut.abort();
    }
    return stop();
  };

  return { server, url, adminKey, isolation: isolator.isolation, layers, pool, secrets, scheduleRunner, stop, stopNow };
}
