// What `airlock server` prints once it listens: the URL, the admin key (the key itself only when
// this start generated it, else the file it is in) and a copy-paste example that works from
// another shell as printed. The CLI finds the admin key in ./.airlock (relative to where it
// runs) unless told otherwise, so the example says where the key is whenever that
// default would not find it: a data dir elsewhere, or a key given in AIRLOCK_ADMIN_KEY. It runs
// the CLI as `npx airlock` only in this package's root: anywhere else npx would fetch an
// unrelated `airlock` package from the registry, so it names this CLI's file instead.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdminKey } from '../services/keys.js';
import { shellWord } from '../core/shell-word.js';

/** This package's root and its CLI, from where this file is built (dist/src/cli/banner.js). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI_PATH = fileURLToPath(new URL('./main.js', import.meta.url));

export interface BannerFacts {
  url: string;
  isolation: string;
  dataDir: string;
  adminKey: AdminKey;
  /** The admin key came from AIRLOCK_ADMIN_KEY (it is not printed, and no file holds it). */
  keyFromEnv: boolean;
  /** The server's working directory (where the CLI's default ./.airlock would point). */
  cwd: string;
  /** How the example runs the CLI: `npx airlock`, or `node /path/to/main.js` (see cliCommand). */
  cli: string;
}

/** How the example runs the CLI in this package's root. */
const NPX = 'npx airlock';

/** The `name` in `dir`/package.json, if there is one. */
function packageName(dir: string): string | undefined {
  try {
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How a shell in `cwd` runs this CLI: `npx airlock` where package.json names this package (npx
 * runs its bin), else `node <absolute path of main.js>`, which works from any directory.
 */
export function cliCommand(cwd: string, packageRoot = PACKAGE_ROOT, cliPath = CLI_PATH): string {
  const ours = packageName(packageRoot);
  return ours !== undefined && packageName(cwd) === ours ? NPX : `node ${shellWord(cliPath)}`;
}

export function startBanner(facts: BannerFacts): string {
  const { url, isolation, dataDir, adminKey, keyFromEnv, cwd, cli } = facts;
  // Shown once, when generated: after that it is in its file, and a banner in a service's log
  // on every restart would copy the key there.
  const keyLine = keyFromEnv || adminKey.path === undefined
    ? 'admin key: (from AIRLOCK_ADMIN_KEY)'
    : adminKey.generated
      ? `admin key: ${adminKey.key}   (new; saved to ${adminKey.path})`
      : `admin key: in ${adminKey.path}   (print it with: cat ${shellWord(adminKey.path)})`;
  const defaultDirWorks = !keyFromEnv && resolve(cwd, '.airlock') === resolve(dataDir);
  const where: string[] = [];
  if (keyFromEnv) where.push(`  export AIRLOCK_KEY="$AIRLOCK_ADMIN_KEY"   # AIRLOCK_ADMIN_KEY must be set in this shell too, to the server's admin key`);
  else if (!defaultDirWorks) where.push(`  export AIRLOCK_DATA_DIR=${shellWord(resolve(dataDir))}   # the CLI reads the admin key from here`);
  return (
    [
      '',
      `Airlock is listening on ${url}  (isolation: ${isolation}, data: ${dataDir})`,
      keyLine,
      '',
      // npx runs this package's CLI only in its root; the default data dir is found only here too.
      `Try it (in another shell${defaultDirWorks || cli === NPX ? ', from this directory' : ''}):`,
      `  export AIRLOCK_URL=${url}`,
      ...where,
      `  echo 'export default async (input: { name: string }) => ({ hello: input.name })' > hello.ts`,
      `  ${cli} deploy hello.ts --tenant acme`,
      `  ${cli} invoke acme/hello --input '{"name":"world"}'`,
      '',
    ].join('\n') + '\n'
  );
}
