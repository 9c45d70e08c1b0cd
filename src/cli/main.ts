#!/usr/bin/env node
// The `airlock` command. `server` and `doctor` run the platform's own stack (server-program.ts);
// every other command, and help, talks to a running server over HTTP (client-program.ts, run from
// its one-file bundle when the build made one). This file only picks the program: it imports
// nothing else, so a client command never loads the server's modules, nor the server the bundle.
import { statSync } from 'node:fs';

/** The commands served by the server program; everything else goes to the client program. */
const SERVER_SIDE = new Set(['server', 'doctor']);

interface ClientProgram {
  runClientProgram(argv: string[]): Promise<void>;
}

/** Modification time of `url`'s file, ms; undefined when it does not exist. */
function modifiedAt(url: URL): number | undefined {
  return statSync(url, { throwIfNoEntry: false })?.mtimeMs;
}

/**
 * The bundled client program (`npm run build`), or its modules when only `tsc` ran since: a
 * bundle older than the modules it was made from would run stale code.
 */
async function clientProgram(): Promise<ClientProgram> {
  const bundle = new URL('./client-program.bundle.js', import.meta.url);
  const bundled = modifiedAt(bundle);
  const source = modifiedAt(new URL('./client-program.js', import.meta.url)) ?? 0;
  const specifier = bundled !== undefined && bundled >= source ? bundle.href : './client-program.js';
  return (await import(specifier)) as ClientProgram;
}

const argv = process.argv.slice(2);
if (SERVER_SIDE.has(argv[0] ?? '')) {
  const { runServerProgram } = await import('./server-program.js');
  await runServerProgram(argv);
} else {
  await (await clientProgram()).runClientProgram(argv);
}
