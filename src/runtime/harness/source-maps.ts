// Stack frames of a bundled function, in its own sources: a tenant module that ends with an
// inline source map (`esbuild --sourcemap=inline`) gets the frames that point into it rewritten
// from the bundle's file:///fn/<module>:line:column to the original file's, e.g. ../src/sync.ts:42:7.
// The map is found when the module loads (one search from its end) but only decoded when a stack
// first needs it, and then kept for the sandbox's life. It is the tenant's own data, read inside
// the tenant's sandbox: a map that is malformed, or code that changed the built-ins the decoder
// uses, leaves the frames as they were, and the host checks and caps the text like any other.
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { CODE_URL_PREFIX } from './paths.js';
import { bufferFrom, jsonParse } from './primordials.js';

/** The comment with an inline map (as esbuild, tsc and webpack write it), the module's last line: its base64 text. */
const INLINE_MAP = /^\/\/[#@] sourceMappingURL=data:application\/json(?:;charset=[\w-]+)?;base64,([A-Za-z0-9+/]+={0,2})\s*$/;

/** Base64 text of each module's inline map, by module name, until decoded; then its TraceMap (or null: unusable). */
const maps = new Map<string, string | TraceMap | null>();

/** Notes `code`'s inline source map, if it has one, for the module named `name` (as in CODE_URL_PREFIX + name). */
export function noteSourceMap(name: string, code: string): void {
  let end = code.length;
  while (end > 0 && /\s/.test(code[end - 1]!)) end--;
  const match = INLINE_MAP.exec(code.slice(code.lastIndexOf('\n', end - 1) + 1, end));
  if (match !== null) maps.set(name, match[1]!);
}

/** Whether any loaded module has a map (a stack of a sandbox without one is never searched). */
export function hasSourceMaps(): boolean {
  return maps.size > 0;
}

/** A frame's location in a tenant module: the module's name, line and column (V8's, both 1-based). */
const FRAME_LOCATION = new RegExp(`${CODE_URL_PREFIX.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}([\\w.-]+):(\\d+):(\\d+)`, 'g');

/** `text` with every frame location that a module's map covers in its original source. */
export function mapStackText(text: string): string {
  if (maps.size === 0 || !text.includes(CODE_URL_PREFIX)) return text;
  return text.replace(FRAME_LOCATION, (whole: string, name: string, line: string, column: string) => {
    const map = traceMapOf(name);
    if (map === undefined) return whole;
    try {
      const found = originalPositionFor(map, { line: Number(line), column: Number(column) - 1 });
      if (found.source === null || found.line === null || found.column === null) return whole;
      return `${found.source}:${found.line}:${found.column + 1}`;
    } catch {
      return whole;
    }
  });
}

/** The module's decoded map, decoding it on first use; undefined when it has none or it cannot be read. */
function traceMapOf(name: string): TraceMap | undefined {
  const entry = maps.get(name);
  if (entry === undefined || entry === null) return undefined;
  if (typeof entry !== 'string') return entry;
  let decoded: TraceMap | null = null;
  try {
    decoded = new TraceMap(jsonParse(bufferFrom(entry, 'base64').toString('utf8')) as ConstructorParameters<typeof TraceMap>[0]);
  } catch {
    decoded = null;
  }
  maps.set(name, decoded);
  return decoded ?? undefined;
}
