// Debug-level access lines, one per answered request: method, route pattern (never the URL:
// webhook URLs carry a token), status, duration and the key id. The hook exists only when the
// logger is at debug or trace when the server is built, so at the default level a request does
// no extra work at all.
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../core/logger.js';
import { keyIdOf } from './audit.js';

export function registerAccessLog(app: FastifyInstance, logger: Pick<Logger, 'isLevelEnabled'>): void {
  if (!logger.isLevelEnabled('debug')) return;
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug(
      {
        method: request.method,
        route: request.routeOptions.url ?? null,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 1000) / 1000,
        keyId: keyIdOf(request) ?? null,
      },
      'request',
    );
    done();
  });
}
