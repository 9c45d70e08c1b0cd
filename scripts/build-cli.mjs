// `npm run build:cli`: bundles the CLI's client program (dist/src/cli/client-program.js, built by
// tsc) with its dependencies into one file, dist/src/cli/client-program.bundle.js, and embeds the
// function author's declarations (types/airlock.d.ts) in it for `airlock types`, so the bundle
// needs no other file of the package.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url);

await build({
  entryPoints: [new URL('dist/src/cli/client-program.js', root).pathname],
  outfile: new URL('dist/src/cli/client-program.bundle.js', root).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  define: { AIRLOCK_TYPES_DECLARATIONS: JSON.stringify(readFileSync(new URL('types/airlock.d.ts', root), 'utf8')) },
});
