// `airlock server`: starts the server from env (flags mirror the env vars), prints the URL, the
// admin key and a copy-paste example (or, with AIRLOCK_BANNER=off, one JSON log line without the
// key), and stops gracefully on SIGINT/SIGTERM/SIGHUP (a second signal forces the stop, a third exits).
import { loadConfig } from '../../core/config.js';
import { unknownSettings } from '../../core/config/unknown.js';
import { createLogger } from '../../core/logger.js';
import { startAirlock } from '../../app.js';
import { integerFlag, parse } from '../args.js';
import { cliCommand, startBanner } from '../banner.js';
import { takePositionals } from '../usage.js';

/** Exit code of a stop forced by a second signal (128 + SIGINT, as shells report an interrupt). */
const FORCED_EXIT = 130;
/** After the stop, how long the process may take to end on its own before it is ended, ms. */
const EXIT_FALLBACK_MS = 2_000;

export async function serverCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    isolation: { type: 'string' },
  });
  takePositionals('server', positionals, []);
  const env = { ...process.env };
  const port = integerFlag('--port', values.port, 0, 65535);
  if (port !== undefined) env.AIRLOCK_PORT = String(port);
  if (values.host !== undefined) env.AIRLOCK_HOST = values.host;
  if (values['data-dir'] !== undefined) env.AIRLOCK_DATA_DIR = values['data-dir'];
  if (values.isolation !== undefined) env.AIRLOCK_ISOLATION = values.isolation;
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  for (const { name, suggestion } of unknownSettings(env, loadConfig)) {
    logger.warn({ variable: name }, `${name} is not an Airlock setting and is ignored${suggestion === undefined ? '' : `; did you mean ${suggestion}?`} (settings: docs/configuration.md)`);
  }
  const airlock = await startAirlock(config, logger);

  // First signal: graceful stop. Second: stop now, still cleanly (calls in flight answered and
  // recorded, job slices queued again, no sandbox left), exit 130. Third: exit at once.
  let signals = 0;
  // The log is written asynchronously: process.exit() now could cut or reorder its last lines
  // (the exit handler writes what is buffered while an earlier write is still under way). So the
  // process ends on its own once they are written, everything else being closed; should anything
  // still hold it open, it exits a moment later all the same.
  const exit = (code: number): void => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), EXIT_FALLBACK_MS).unref();
  };
  const onSignal = (signal: string): void => {
    signals++;
    if (signals === 2) {
      logger.warn({ signal }, 'second signal: forcing the stop (send a third to exit at once, without answering calls in flight)');
      void airlock.stopNow().catch(() => undefined); // the first signal's handler reports the end
      return;
    }
    if (signals > 2) {
      logger.error({ signal }, 'third signal: exiting at once; calls in flight get no answer and no record, job leases are ended by the next start on this machine');
      process.exit(FORCED_EXIT); // not even waiting for the log
    }
    logger.info({ signal }, `stopping: calls in flight get ${config.shutdownGraceMs} ms to finish (send again to stop now)`);
    airlock.stop().then(
      () => {
        if (signals < 2) return exit(0);
        logger.warn({ exitCode: FORCED_EXIT }, 'stopped by force: calls in flight were ended and answered, job slices queued again');
        exit(FORCED_EXIT);
      },
      (err: unknown) => {
        logger.error({ err, forced: signals >= 2 }, 'error while stopping');
        exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A hang-up (the terminal or SSH session that started the server went away) stops it like
  // SIGTERM; Node's default for SIGHUP is to exit at once, answering nothing and leaving cgroups.
  // There is no configuration to reload on SIGHUP.
  process.on('SIGHUP', onSignal);

  // Announced only once a signal stops it cleanly: a supervisor may send one as soon as it reads this.
  if (config.banner) {
    const banner = startBanner({
      url: airlock.url,
      isolation: airlock.isolation,
      dataDir: config.dataDir,
      adminKey: airlock.adminKey,
      keyFromEnv: config.adminKey !== undefined,
      cwd: process.cwd(),
      cli: cliCommand(process.cwd()),
    });
    process.stdout.write(banner);
  } else {
    // AIRLOCK_BANNER=off (a service): stdout holds JSON log lines only, and never the admin key.
    logger.info({ url: airlock.url, adminKeyFile: airlock.adminKey.path ?? null }, 'listening');
  }
}
