// Turns the operating system's refusal to open the server's port, or a host name that does not
// resolve, into an error that says what happened and how to fix it (the raw Node error is a
// stack trace naming `setupListenHandle` or `getaddrinfo`), and finds it out first, before the
// start writes anything.
import { createServer } from 'node:net';
import { AirlockError } from '../core/errors.js';

/**
 * Opens the server's port and closes it again, so that a port in use, a privileged port or a
 * foreign address stops the start (LISTEN_FAILED) before the data dir, keys or database are
 * written. The real listen comes last and can still fail (another program may take the port in
 * between); it gets the same error.
 */
export async function probeListen(host: string, port: number): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, resolve);
  }).catch((err: unknown) => {
    throw listenError(err, host, port);
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

export function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  const details = { host, port, errno: code };
  // Node looks a host name up (getaddrinfo) before it listens: ENOTFOUND for a name that does not
  // exist, EAI_AGAIN when the resolver did not answer, EAI_FAIL, EAI_NODATA, … for the rest.
  if ((err as { syscall?: unknown } | undefined)?.syscall === 'getaddrinfo' || code === 'ENOTFOUND' || code?.startsWith('EAI_') === true) {
    const why = code === 'ENOTFOUND'
      ? 'no such name'
      : code === 'EAI_AGAIN'
        ? 'the name server did not answer (try again later, or use an IP address)'
        : `the name could not be resolved (${code ?? 'unknown error'})`;
    return new AirlockError(
      'LISTEN_FAILED',
      `cannot listen on ${where}: looking up ${host} failed: ${why}; set AIRLOCK_HOST (or --host) to an IP address ` +
        'of this machine or a name that resolves to one, 127.0.0.1 for this machine only or 0.0.0.0 for every interface',
      details,
    );
  }
  switch (code) {
    case 'EADDRINUSE':
      return new AirlockError(
        'LISTEN_FAILED',
        `port ${port} on ${host} is already in use (another Airlock server or another program; ` +
          `\`ss -ltnp 'sport = :${port}'\` shows which): stop it, or pick another port with AIRLOCK_PORT or --port`,
        details,
      );
    case 'EACCES':
      return new AirlockError(
        'LISTEN_FAILED',
        `not allowed to listen on ${where}: ports below 1024 need root or CAP_NET_BIND_SERVICE; ` +
          'pick a port from 1024 up with AIRLOCK_PORT or --port',
        details,
      );
    case 'EADDRNOTAVAIL':
      return new AirlockError(
        'LISTEN_FAILED',
        `cannot listen on ${where}: ${host} is not an address of this machine; set AIRLOCK_HOST (or --host) ` +
          'to one of its addresses, 127.0.0.1 for this machine only or 0.0.0.0 for every interface',
        details,
      );
    default:
      return err;
  }
}
