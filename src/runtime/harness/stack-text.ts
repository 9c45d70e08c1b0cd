// Text the tenant gets back, tidied: a thrown error's stack keeps only the frames of tenant
// modules, a logged one loses the harness's and Node's internal frames, and the data: URLs tenant
// modules are imported from (kilobytes of base64) read file:///fn/<name>, with what to do about
// an import that cannot resolve. Frames of a bundle with an inline source map name its original
// sources (source-maps.ts).
import { CODE_DIR, CODE_URL_PREFIX, HARNESS_DIR, MODULE_DATA_URL } from './paths.js';
import { hasSourceMaps, mapStackText } from './source-maps.js';

/** Keeps the message lines and the frames that point into tenant modules. */
export function trimStack(stack: string): string {
  const kept: string[] = [];
  for (const line of stack.split('\n')) {
    const isFrame = /^\s+at /.test(line);
    if (!isFrame || line.includes(CODE_URL_PREFIX) || line.includes(CODE_DIR + '/')) {
      kept.push(line);
    }
  }
  return kept.join('\n');
}

const FRAME_LINE = '\n    at ';
/** A stack frame line in Node's internals (node:internal/…, node:events, …). */
const INTERNAL_FRAME = /^\s+at (?:.*[( ])?node:/;

/**
 * A log line as the tenant should see it: a logged error's stack (console.error(err),
 * ctx.log.error('…', err)) without the frames of the harness and of Node's internals, as a thrown
 * error's, and without the data: URLs tenant modules are imported from.
 */
export function tidyLogText(text: string): string {
  let out = text.includes(MODULE_DATA_URL) ? hideModuleUrls(text) : text;
  if (out.includes(FRAME_LINE)) {
    out = withoutInternalFrames(out);
    if (hasSourceMaps()) out = mapStackText(out);
  }
  return out;
}

/**
 * Drops the frames of the harness and of Node's internals. util.inspect ends the last frame of an
 * error with own properties (`code`, `errno`, a cause) with ` {`, their block's opening: a dropped
 * frame hands it on to the line before, so the block still opens where it closes.
 */
function withoutInternalFrames(text: string): string {
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    const internal = /^\s+at /.test(line) && !line.includes(CODE_URL_PREFIX) && (line.includes(HARNESS_DIR) || INTERNAL_FRAME.test(line));
    if (!internal) kept.push(line);
    else if (line.endsWith(' {') && kept.length > 0 && !kept[kept.length - 1]!.endsWith(' {')) kept[kept.length - 1] += ' {';
  }
  return kept.join('\n');
}

/** One such URL, with the "'... 12345 more characters" util.inspect writes after a long string it cuts. */
const MODULE_DATA_URLS = /data:text\/javascript;fn=([\w.-]+);base64,[A-Za-z0-9+/]*={0,2}('\.\.\. \d+ more characters?)?/g;
/** Node's message for an import a data: URL module cannot resolve (bare, relative, absolute path). */
const UNRESOLVED_IMPORT = /Failed to resolve module specifier "((?:[^"\\]|\\.)*)" from "([^"]*)"(?:: Invalid relative URL or base scheme is not hierarchical\.)?/g;
const MISSING_FILE = /(Cannot find module '[^']*' imported from \S+)/g;
const BUNDLE_HINT =
  "only Node's built-in modules (e.g. \"node:crypto\") can be imported in the sandbox; bundle the function and its " +
  'dependencies into one ES module and deploy that file as a bundle, e.g. `npx esbuild fn.ts --bundle --format=esm --platform=node ' +
  '--outfile=fn.js --banner:js="import { createRequire } from \'node:module\'; const require = createRequire(\'/fn/\');"` ' +
  'then `airlock deploy fn.js --bundle` (see README, Functions)';

/**
 * Replaces the data: URL of a tenant module (kilobytes of base64 in Node's module errors) with
 * the module's file:///fn/<name>, and says what to do about an import that cannot resolve.
 */
export function hideModuleUrls(text: string): string {
  if (!text.includes(MODULE_DATA_URL)) return text;
  return text
    .replace(MODULE_DATA_URLS, (_url, name: string, cut: string | undefined) => `${CODE_URL_PREFIX}${name}${cut === undefined ? '' : "'"}`)
    .replace(UNRESOLVED_IMPORT, (_all, specifier: string, from: string) => `Cannot import "${specifier}" from ${from}: ${BUNDLE_HINT}`)
    .replace(MISSING_FILE, `$1: ${BUNDLE_HINT}`);
}
