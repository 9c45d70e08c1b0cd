// `airlock types`: prints the TypeScript declarations of a function module's `ctx` (Context,
// JobContext, WithEgress, Handler), the file types/airlock.d.ts, so that a tenant developer can
// type-check functions with nothing but the CLI: `airlock types > airlock.d.ts`. It needs no
// server. The build embeds the file in the client bundle (scripts/build-cli.mjs), so a copy of the
// bundle alone prints it; the unbundled modules (after a bare `tsc`) read it from the package.
import { readFileSync } from 'node:fs';
import { parse } from '../args.js';
import { takePositionals } from '../usage.js';

/** The declaration file's text, defined by the bundler; not defined in the unbundled modules. */
declare const AIRLOCK_TYPES_DECLARATIONS: string | undefined;

/** types/airlock.d.ts: embedded in the bundle, else read beside dist/ (dist/src/cli/commands/ → the package root). */
export function typesDeclarations(): string {
  if (typeof AIRLOCK_TYPES_DECLARATIONS === 'string') return AIRLOCK_TYPES_DECLARATIONS;
  return readFileSync(new URL('../../../../types/airlock.d.ts', import.meta.url), 'utf8');
}

export async function typesCommand(argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {});
  takePositionals('types', positionals, []);
  process.stdout.write(typesDeclarations());
  return 0;
}
