// Checks a deploy request body. The HTTP layer validates with its schema already; this keeps the
// service safe for every other caller (CLI, tests, SDK) and gives the same clear messages.
import { AirlockError } from '../core/errors.js';
import type { FunctionLimits, IsolationScope, Runtime } from '../core/types.js';
import { isRecord } from '../core/json.js';

export interface DeployBody {
  code: string;
  /** Default 'typescript': TypeScript is a superset, and stripping plain JavaScript changes nothing. */
  runtime?: Runtime;
  limits?: Partial<FunctionLimits>;
  /** Default 'tenant'. */
  isolation?: IsolationScope;
  /** Egress grant, checked by egress/policy-check.ts when the version is built. */
  egress?: unknown;
  /**
   * The code is a bundler's output with its dependencies: it may be up to maxBundleBytes instead
   * of maxSourceBytes. Nothing else depends on it (not even the version; functions.ts).
   */
  bundle?: boolean;
}

const RUNTIMES: readonly Runtime[] = ['javascript', 'typescript'];
const ISOLATIONS: readonly IsolationScope[] = ['tenant', 'function', 'execution'];
const LIMIT_KEYS: readonly (keyof FunctionLimits)[] = ['timeoutMs', 'memoryMiB', 'inputBytes', 'resultBytes', 'logBytes'];

function invalid(message: string, field: string): AirlockError {
  return new AirlockError('VALIDATION_FAILED', message, { field });
}

function checkLimits(value: unknown): Partial<FunctionLimits> {
  if (!isRecord(value)) throw invalid('limits must be an object of integers', 'limits');
  const out: Partial<FunctionLimits> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(LIMIT_KEYS as readonly string[]).includes(key)) {
      throw invalid(`limits.${key} is not a known limit; known limits: ${LIMIT_KEYS.join(', ')}`, `limits.${key}`);
    }
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      throw invalid(`limits.${key} must be an integer`, `limits.${key}`);
    }
    out[key as keyof FunctionLimits] = v;
  }
  return out;
}

/** Returns a checked copy of `body`, or throws VALIDATION_FAILED naming the field. */
export function checkDeployBody(body: unknown): DeployBody {
  if (!isRecord(body)) throw invalid('the deploy body must be an object with a "code" string', 'body');
  const { code, runtime, limits, isolation, egress, bundle } = body;
  if (typeof code !== 'string') throw invalid('code must be a string holding the module source', 'code');
  const out: DeployBody = { code };
  if (runtime !== undefined) {
    if (!(RUNTIMES as readonly unknown[]).includes(runtime)) {
      throw invalid(`runtime must be one of ${RUNTIMES.join(', ')} (default typescript)`, 'runtime');
    }
    out.runtime = runtime as Runtime;
  }
  if (isolation !== undefined) {
    if (!(ISOLATIONS as readonly unknown[]).includes(isolation)) {
      throw invalid(`isolation must be one of ${ISOLATIONS.join(', ')} (default tenant)`, 'isolation');
    }
    out.isolation = isolation as IsolationScope;
  }
  if (limits !== undefined) out.limits = checkLimits(limits);
  if (egress !== undefined) out.egress = egress;
  if (bundle !== undefined) {
    if (typeof bundle !== 'boolean') {
      throw invalid(
        "bundle must be true or false (true: the code is a bundler's output with its dependencies, allowed up to AIRLOCK_MAX_BUNDLE_BYTES)",
        'bundle',
      );
    }
    out.bundle = bundle;
  }
  return out;
}
