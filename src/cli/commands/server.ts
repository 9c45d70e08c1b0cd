// `airlock server`: starts the server from env (flags mirror the env vars), prints the URL, the
// admin key and a copy-paste example (or, with AIRLOCK_BANNER=off, one JSON log line without the
// key), and stops gracefully on SIGINT/SIGTERM.
import { loadConfig } from '../../core/config.js';
import { unknownSettings } from '../../core/config/unknown.js';
import { createLogger } from '../../core/logger.js';
import { startAirlock } from '../../app.js';
import { integerFlag, parse } from '../args.js';
import { cliCommand, startBanner } from '../banner.js';
import { takePositionals } from '../usage.js';

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

  let signals = 0;
  const onSignal = (signal: string): void => {
    signals++;
    if (signals > 1) {
      logger.warn('second signal: exiting now');
      process.exit(130);
    }
    logger.info({ signal }, 'stopping (send again to force)');
    airlock.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
