// FunctionService: deploy, read, list, roll back and delete functions. A deploy validates names, size and
// limits, turns the source into loadable JavaScript (type stripping, then V8's parse of the
// result in a sandbox of its own, which refuses what Node could not load) and stores an immutable version whose id is
// the content hash: deploying the same thing twice yields the same version with created=false.
// Imports that cannot resolve in the sandbox and a missing handler export are refused here
// (module-shape.ts); the rest only shows at run time.
import type { Config } from '../core/config.js';
import { AirlockError } from '../core/errors.js';
import { resolveLimits } from '../core/limits.js';
import type { FunctionVersion } from '../core/types.js';
import type { EgressConfig } from '../core/config.js';
import { DEFAULT_EGRESS_LIMITS, DEFAULT_MAX_EGRESS_LIMITS } from '../egress/limits.js';
import { checkEgressPolicy } from '../egress/policy-check.js';
import type { FunctionSummary, Store, VersionSummary } from '../store/port.js';
import { checkDeployBody } from './deploy-body.js';
import { checkModuleShape } from './module-shape.js';
import type { DeployBody } from './deploy-body.js';
import { deployHint, validateName } from './names.js';
import type { ModuleParser } from './node-parse.js';
import { toJavaScript } from './typescript.js';
import { versionHash } from './version-hash.js';
import { AMBIGUOUS_SHOWN, hexPrefix, MIN_VERSION_PREFIX, prefixAmbiguous, versionNotFound } from './version-names.js';

export type { DeployBody };

export type FunctionServiceConfig = Pick<Config, 'maxSourceBytes' | 'maxBundleBytes' | 'defaultLimits' | 'maxLimits'> & {
  /** Egress limit defaults and maxima (built-in ones when absent). */
  egress?: Pick<EgressConfig, 'defaultLimits' | 'maxLimits'>;
};

export interface DeployResult {
  version: FunctionVersion;
  /** False when an identical version already existed (it is made the latest again). */
  created: boolean;
  /** The version that was the latest before this deploy; undefined on a first deploy. */
  previousLatest?: string;
}

export interface SetLatestResult {
  /** The version that is the latest now. */
  version: FunctionVersion;
  /** The version that was the latest before; the same as `version.version` when nothing changed. */
  previousLatest: string;
}

const UNPAIRED_SURROGATE = /\p{Surrogate}/u;

export class FunctionService {
  private readonly store: Store;
  private readonly config: FunctionServiceConfig;
  private readonly parse: ModuleParser;
  private readonly now: () => number;

  /** `parse`: V8's parse of a module in a sandbox (node-parse.ts sandboxedParser). */
  constructor(store: Store, config: FunctionServiceConfig, parse: ModuleParser, now: () => number = Date.now) {
    this.store = store;
    this.config = config;
    this.parse = parse;
    this.now = now;
  }

  async deploy(tenant: string, name: string, body: DeployBody): Promise<DeployResult> {
    validateName('tenant', tenant);
    validateName('function', name);
    const checked = checkDeployBody(body);
    const source = checked.code;
    this.checkSize(source, checked.bundle === true);
    const surrogate = UNPAIRED_SURROGATE.exec(source);
    if (surrogate) {
      throw new AirlockError(
        'VALIDATION_FAILED',
        `code contains an unpaired UTF-16 surrogate at offset ${surrogate.index}; send the source as valid UTF-8`,
        { field: 'code' },
      );
    }
    const limits = resolveLimits(checked.limits, this.config.defaultLimits, this.config.maxLimits);
    const runtime = checked.runtime ?? 'typescript';
    const isolation = checked.isolation ?? 'tenant';
    const egressLimits = this.config.egress ?? { defaultLimits: DEFAULT_EGRESS_LIMITS, maxLimits: DEFAULT_MAX_EGRESS_LIMITS };
    const egress =
      checked.egress === undefined ? undefined : checkEgressPolicy(checked.egress, egressLimits.defaultLimits, egressLimits.maxLimits);
    const code = await toJavaScript(source, runtime, tenant, this.parse);
    await checkModuleShape(code);
    const version: FunctionVersion = {
      tenant,
      name,
      // `bundle` is not part of the version: it only picks the size limit, and the same code
      // deployed with or without it runs the same way, so it is the same version.
      version: versionHash({ runtime, source, limits, isolation, ...(egress === undefined ? {} : { egress }) }),
      runtime,
      source,
      code,
      limits,
      isolation,
      ...(egress === undefined ? {} : { egress }),
      createdAt: this.now(),
    };
    const { created, previousLatest } = await this.store.putFunctionVersion(version);
    const previous = previousLatest === undefined ? {} : { previousLatest };
    if (created) return { version, created, ...previous };
    // Identical content deployed before: answer with the stored version (its first createdAt).
    const stored = await this.store.getFunction(tenant, name, version.version);
    return { version: stored ?? version, created, ...previous };
  }

  /**
   * The latest version, or the named one: by its whole hash or a unique prefix of it (at least 8
   * hex characters; version-names.ts). Throws FUNCTION_NOT_FOUND, VERSION_NOT_FOUND (also for a
   * prefix too short) or VERSION_AMBIGUOUS (a prefix several versions start with).
   */
  async get(tenant: string, name: string, version?: string): Promise<FunctionVersion> {
    validateName('tenant', tenant);
    validateName('function', name);
    if (version !== undefined) {
      const found = await this.store.getFunction(tenant, name, version);
      if (found) return found;
    }
    const latest = await this.store.getFunction(tenant, name);
    if (!latest) throw notFound(tenant, name);
    if (version === undefined) return latest;
    const prefix = hexPrefix(version);
    if (prefix !== undefined) {
      if (prefix.length < MIN_VERSION_PREFIX) throw versionNotFound(tenant, name, version, latest.version, true);
      // One more than the error lists, to tell "these" from "these and more".
      const candidates = await this.store.findVersions(tenant, name, prefix, AMBIGUOUS_SHOWN + 1);
      if (candidates.length > 1) throw prefixAmbiguous(tenant, name, prefix, candidates);
      const named = candidates.length === 1 ? await this.store.getFunction(tenant, name, candidates[0]!) : undefined;
      if (named) return named;
    }
    throw versionNotFound(tenant, name, version, latest.version);
  }

  async list(tenant: string): Promise<FunctionSummary[]> {
    validateName('tenant', tenant);
    return this.store.listFunctions(tenant);
  }

  /** The function's versions, newest first deployed first, and which is the latest. Throws FUNCTION_NOT_FOUND. */
  async versions(tenant: string, name: string): Promise<{ latest: string; versions: VersionSummary[] }> {
    const latest = await this.get(tenant, name);
    return { latest: latest.version, versions: await this.store.listVersions(tenant, name) };
  }

  /**
   * Makes an existing version the latest again (a rollback, or a roll forward after one): new
   * invocations, jobs and webhook deliveries run it. Nothing is redeployed: the version keeps its
   * source, limits, isolation and egress. The version may be named by a prefix, as get() takes it.
   * Throws as get() does (and changes nothing then).
   */
  async setLatest(tenant: string, name: string, version: string): Promise<SetLatestResult> {
    // The version named (a prefix resolved to its whole hash), or the error naming what is missing.
    const target = await this.get(tenant, name, version);
    const moved = await this.store.setLatestVersion(tenant, name, target.version, this.now());
    // Nothing moved: the function was deleted since; get() throws the error saying so (it finds
    // the version only if a deploy of that very version raced this call and made it the latest).
    const fn = moved === undefined ? await this.get(tenant, name, target.version) : target;
    return { version: fn, previousLatest: moved?.previousLatest ?? fn.version };
  }

  /** Deletes the function and all its versions (executions are kept). Throws FUNCTION_NOT_FOUND. */
  async delete(tenant: string, name: string): Promise<void> {
    validateName('tenant', tenant);
    validateName('function', name);
    if (!(await this.store.deleteFunction(tenant, name))) throw notFound(tenant, name);
  }

  /** A bundle may be up to maxBundleBytes, any other source up to maxSourceBytes; the refusal names the setting that applies. */
  private checkSize(source: string, bundle: boolean): void {
    const { maxSourceBytes, maxBundleBytes } = this.config;
    const limit = bundle ? maxBundleBytes : maxSourceBytes;
    const size = Buffer.byteLength(source, 'utf8');
    if (size <= limit) return;
    let advice: string;
    if (bundle) {
      advice =
        `above the limit for a bundle of ${limit} bytes (AIRLOCK_MAX_BUNDLE_BYTES); make it smaller (minify it, e.g. ` +
        'esbuild --minify, or bundle fewer dependencies), or ask the operator to raise AIRLOCK_MAX_BUNDLE_BYTES';
    } else if (size <= maxBundleBytes) {
      advice =
        `above the limit of ${limit} bytes (AIRLOCK_MAX_SOURCE_BYTES); if this is a bundle (a bundler's output with its ` +
        `dependencies), deploy it as one: "bundle": true (airlock deploy --bundle), up to ${maxBundleBytes} bytes ` +
        '(AIRLOCK_MAX_BUNDLE_BYTES); otherwise make it smaller, or ask the operator to raise AIRLOCK_MAX_SOURCE_BYTES';
    } else {
      advice =
        `above the limit of ${limit} bytes (AIRLOCK_MAX_SOURCE_BYTES) and even above that for a bundle ("bundle": true), ` +
        `${maxBundleBytes} bytes (AIRLOCK_MAX_BUNDLE_BYTES); make it smaller (minify it, or bundle fewer dependencies), ` +
        'or, if it is a bundle, ask the operator to raise AIRLOCK_MAX_BUNDLE_BYTES and deploy it with "bundle": true';
    }
    throw new AirlockError('SOURCE_TOO_LARGE', `the ${bundle ? 'bundle' : 'source'} is ${size} bytes (UTF-8), ${advice}`, { limit, size });
  }
}

function notFound(tenant: string, name: string): AirlockError {
  return new AirlockError(
    'FUNCTION_NOT_FOUND',
    `function ${name} not found for tenant ${tenant}; ${deployHint(tenant, name)}, ` +
      `or list the tenant's functions with \`airlock functions ${tenant}\` (GET /v1/tenants/${tenant}/functions)`,
    { tenant, function: name },
  );
}
