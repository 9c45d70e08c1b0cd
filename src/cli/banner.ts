// What `airlock server` prints once it listens: the URL, the admin key and a copy-paste example
// that works from another shell as printed. The CLI finds the admin key in ./.airlock (relative
// to where it runs) unless told otherwise, so the example says where the key is whenever that
// default would not find it: a data dir elsewhere, or a key given in AIRLOCK_ADMIN_KEY.
import { resolve } from 'node:path';
import type { AdminKey } from '../services/keys.js';

export interface BannerFacts {
  url: string;
  isolation: string;
  dataDir: string;
  adminKey: AdminKey;
  /** The admin key came from AIRLOCK_ADMIN_KEY (it is not printed, and no file holds it). */
  keyFromEnv: boolean;
  /** The server's working directory (where the CLI's default ./.airlock would point). */
  cwd: string;
}

/** A single quote inside a single-quoted shell word: end the word, an escaped quote, reopen. */
const QUOTE_IN_QUOTES = "'\\''";

/** Quotes `text` for a POSIX shell when it holds anything beyond plain path characters. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : "'" + text.replaceAll("'", QUOTE_IN_QUOTES) + "'";
}

export function startBanner(facts: BannerFacts): string {
  const { url, isolation, dataDir, adminKey, keyFromEnv, cwd } = facts;
  const keyLine = keyFromEnv
    ? 'admin key: (from AIRLOCK_ADMIN_KEY)'
    : `admin key: ${adminKey.key}   (${adminKey.generated ? 'new; saved to' : 'from'} ${adminKey.path})`;
  const defaultDirWorks = !keyFromEnv && resolve(cwd, '.airlock') === resolve(dataDir);
  const where: string[] = [];
  if (keyFromEnv) where.push('  export AIRLOCK_KEY="$AIRLOCK_ADMIN_KEY"   # the key this server was started with');
  else if (!defaultDirWorks) where.push(`  export AIRLOCK_DATA_DIR=${shellWord(resolve(dataDir))}   # the CLI reads the admin key from here`);
  return (
    [
      '',
      `Airlock is listening on ${url}  (isolation: ${isolation}, data: ${dataDir})`,
      keyLine,
      '',
      `Try it (in another shell${defaultDirWorks ? ', from this directory' : ''}):`,
      `  export AIRLOCK_URL=${url}`,
      ...where,
      `  echo 'export default async (input: { name: string }) => ({ hello: input.name })' > hello.ts`,
      '  npx airlock deploy hello.ts --tenant acme',
      `  npx airlock invoke acme/hello --input '{"name":"world"}'`,
      '',
    ].join('\n') + '\n'
  );
}
