// What the HTTP layer needs from the rest of the server, passed in by the composition root.
import type { Config } from '../core/config.js';
import type { InputBodyParser } from '../core/json-thread/parser.js';
import type { Logger } from '../core/logger.js';
import type { SecurityLayer } from '../core/types.js';
import type { FunctionCache } from '../services/function-cache.js';
import type { FunctionService } from '../services/functions.js';
import type { HealthProblem } from '../services/health.js';
import type { HookService } from '../services/hooks/service.js';
import type { WebhookTokens } from '../services/hooks/tokens.js';
import type { WebhookVerifier } from '../services/hooks/verifier.js';
import type { InvokeService } from '../services/invoke.js';
import type { InvokeBatch } from '../services/invoke-batch.js';
import type { JobService } from '../services/jobs/service.js';
import type { KeyService } from '../services/keys.js';
import type { ExecutionRecorder } from '../services/recorder.js';
import type { SecretService } from '../services/secrets/service.js';
import type { ScheduleService } from '../services/schedules/service.js';
import type { TenantService } from '../services/tenants/service.js';
import type { Metrics } from './metrics.js';
import type { WorkMetrics } from './work-metrics.js';

export interface ApiDeps {
  config: Config;
  logger: Logger;
  functions: FunctionService;
  functionCache: FunctionCache;
  invoke: InvokeService;
  /** Many inputs of one function in one request (POST …/invoke-batch). */
  invokeBatch: InvokeBatch;
  jobs: JobService;
  schedules: ScheduleService;
  hooks: HookService;
  webhookTokens: WebhookTokens;
  webhookVerifier: WebhookVerifier;
  recorder: ExecutionRecorder;
  keys: KeyService;
  secrets: SecretService;
  /** Tenant listing and deletion (admin only). */
  tenants: TenantService;
  metrics: Metrics;
  /** The JSON parser thread: large invoke and job-submission bodies are read there. */
  jsonThread: InputBodyParser;
  /** Background work's metrics (deliveries are counted by the hooks route); optional for tests. */
  workMetrics?: Pick<WorkMetrics, 'recordDelivery'>;
  isolation: string;
  /** Isolation layers attested at startup (shown by /healthz). */
  layers: readonly SecurityLayer[];
  version: string;
  isShuttingDown(): boolean;
  /** What is failing now (GET /healthz says `degraded` and lists them); empty when all is well. */
  health(): HealthProblem[];
}
