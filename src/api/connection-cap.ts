// The cap on client connections open at once (AIRLOCK_MAX_CONNECTIONS): Node closes any
// connection above it as soon as it is accepted, so a flood of connections (each lives until the
// request timeout) cannot use up the server's file descriptors, which sandboxes and the database
// need too. Closed connections are logged as one warn line at most every DROP_LOG_MS, with a count.
import type { Server } from 'node:net';
import type { Logger } from '../core/logger.js';

/** At most one warn line about closed connections this often, ms. */
export const DROP_LOG_MS = 10_000;

export function capConnections(server: Server, maxConnections: number, logger: Logger, now: () => number = Date.now): void {
  server.maxConnections = maxConnections;
  let dropped = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  server.on('drop', () => {
    dropped++;
    if (now() - loggedAt < DROP_LOG_MS) return;
    loggedAt = now();
    logger.warn(
      { dropped, maxConnections },
      `closed ${dropped} new connection(s) at once: ${maxConnections} were already open (AIRLOCK_MAX_CONNECTIONS); ` +
        'if these are real clients, raise it (and the open-files limit, ulimit -n, to at least twice as much) ' +
        'or put a proxy in front that pools connections',
    );
    dropped = 0;
  });
}
