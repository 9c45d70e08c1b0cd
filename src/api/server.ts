// Builds the HTTP server (Fastify): JSON schemas for validation and OpenAPI, bearer auth on
// /v1, one error format. Services are passed in; nothing here owns sandboxes or storage.
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AirlockError } from '../core/errors.js';
import { registerAccessLog } from './access-log.js';
import { closeConnectionsAfterAnswersOnStop } from './closing-connections.js';
import { capConnections } from './connection-cap.js';
import { authenticate } from './auth.js';
import { errorHandler } from './errors.js';
import { continueAfterChecks } from './expect-continue.js';
import { clientErrorHandler, frameworkErrorHandler, refuseWhileClosing } from './protocol-errors.js';
import { registerInputBodyParser, registerJsonBodyParser } from './json-body.js';
import { OFF_THREAD_BODY_BYTES } from '../core/limits.js';
import { BodyBudget, registerBodyBudget } from './body-budget.js';
import { registerOpenApi } from './openapi.js';
import { RefusalLog } from './refusal-log.js';
import { registerExecutionRoutes } from './routes/executions.js';
import { registerAllExecutionRoutes } from './routes/all-executions.js';
import { registerFunctionVersionRoutes } from './routes/function-versions.js';
import { registerFunctionRoutes } from './routes/functions.js';
import { registerHookVerifyRoutes } from './routes/hook-verify.js';
import { registerHookRoutes, registerWebhookRoutes } from './routes/hooks.js';
import { registerInvokeRoutes } from './routes/invoke.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerOpsRoutes } from './routes/ops.js';
import { registerSecretRoutes } from './routes/secrets.js';
import { registerScheduleRoutes } from './routes/schedules.js';
import { registerTenantRoutes } from './routes/tenants.js';
import type { ApiDeps } from './deps.js';
import { buildValidator } from './validators.js';
import { ErrorBody } from './schemas.js';

const NO_QUERY = Type.Object({}, { additionalProperties: false });

export type { ApiDeps } from './deps.js';

/**
 * How often Node looks for requests past their time, ms: a quarter of the timeout, at most Node's
 * own 30 s, so a late request is cut within 25% of AIRLOCK_REQUEST_TIMEOUT_MS (or 30 s) after it.
 */
export function connectionsCheckingInterval(requestTimeoutMs: number): number {
  return Math.max(25, Math.min(30_000, Math.floor(requestTimeoutMs / 4)));
}

export async function buildServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // No per-request log lines from Fastify: at thousands of calls a second they would dominate
    // the log. Our own access lines (access-log.ts) exist only at debug level.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.maxBodyBytes,
    // A request must arrive whole within AIRLOCK_REQUEST_TIMEOUT_MS (Fastify's default is no limit:
    // a slow or unfinished body held its connection and buffer for ever); 408 REQUEST_TIMEOUT.
    // Node 20 applies the timeout only when given to the server's constructor (options.http);
    // Fastify's own option sets it afterwards, so both carry it (Fastify's 0 would switch it off).
    requestTimeout: deps.config.requestTimeoutMs,
    http: {
      requestTimeout: deps.config.requestTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingInterval(deps.config.requestTimeoutMs),
    },
    // Requests on connections still open while the server closes get 503 SHUTTING_DOWN from
    // refuseWhileClosing, in the API's error format.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    clientErrorHandler: clientErrorHandler(deps.logger, deps.metrics.apiErrors),
    frameworkErrors: frameworkErrorHandler(deps.metrics.apiErrors),
    schemaController: { compilersFactory: { buildValidator } },
    // Behind a proxy listed in AIRLOCK_TRUST_PROXY, request.ip (audit and refusal lines) is the
    // client's address from X-Forwarded-For; otherwise the header is ignored.
    ...(deps.config.trustProxy.length === 0 ? {} : { trustProxy: deps.config.trustProxy }),
    // A URL pasted with a trailing slash (a webhook URL into a provider's form) is the same route.
    routerOptions: { ignoreTrailingSlash: true },
  });
  capConnections(app.server, deps.config.maxConnections, deps.logger);
  await registerOpenApi(app, deps.version);
  app.addSchema(ErrorBody);
  refuseWhileClosing(app, deps.metrics.apiErrors);
  closeConnectionsAfterAnswersOnStop(app);
  // Refused authentication is logged (bounded); only errors pay for it, never a served request.
  app.addHook('onError', new RefusalLog(deps.logger).hook());
  registerAccessLog(app, deps.logger);
  app.setErrorHandler(errorHandler(deps.logger, deps.config, deps.metrics.apiErrors));
  registerJsonBodyParser(app);
  registerBodyBudget(app, new BodyBudget(deps.config.bodyBytesInFlight));
  const notFound = (request: FastifyRequest, reply: FastifyReply): void => {
    const err = new AirlockError('NOT_FOUND', `no route ${request.method} ${request.url}; see GET /openapi.json`);
    deps.metrics.apiErrors.count(404, 'NOT_FOUND');
    void reply.status(404).send(err.toJSON());
  };
  app.setNotFoundHandler(notFound);
  // `Expect: 100-continue` is answered 100 only once the checks made before the body have passed.
  continueAfterChecks(app, notFound);

  registerOpsRoutes(app, deps);
  await registerHookRoutes(app, deps);
  await app.register(async (v1) => {
    v1.addHook('onRequest', authenticate(deps.keys));
    // A /v1 route without query parameters refuses any (a typo like ?limit= on a list that does
    // not page would otherwise be ignored without a word).
    v1.addHook('onRoute', (route) => {
      if (route.schema !== undefined && route.schema.querystring === undefined) route.schema.querystring = NO_QUERY;
    });
    registerFunctionRoutes(v1, deps);
    registerFunctionVersionRoutes(v1, deps);
    // Invokes and job submissions read large bodies on the parser thread (their input is passed
    // on as JSON text: to the sandbox, to the queue's payload).
    await v1.register(async (inputs) => {
      registerInputBodyParser(inputs, deps.jsonThread, OFF_THREAD_BODY_BYTES, () => deps.metrics.recordOffThreadBody());
      registerInvokeRoutes(inputs, deps);
      registerJobRoutes(inputs, deps);
    });
    registerExecutionRoutes(v1, deps);
    registerAllExecutionRoutes(v1, deps);
    registerTenantRoutes(v1, deps);
    registerKeyRoutes(v1, deps);
    registerSecretRoutes(v1, deps);
    registerScheduleRoutes(v1, deps);
    registerWebhookRoutes(v1, deps);
    registerHookVerifyRoutes(v1, deps);
  });
  return app;
}
