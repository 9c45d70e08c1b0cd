// Where things are, as the harness names them: the sandbox's code dir (argv[2]) and the
// file:///fn/<name> URLs tenant modules appear under in stacks, the harness's own directory
// (its frames are never shown), the data: URLs tenant modules are imported from, and the
// modules copied in beside the harness.
import { dirname, pathToFileURL } from './primordials.js';

export const CODE_DIR = process.argv[2] ?? '/fn';
export const CODE_URL_PREFIX = pathToFileURL(CODE_DIR).href + '/';
/**
 * The harness and its sibling modules: their stack frames are never shown (file paths and URLs
 * contain it). The harness runs as one CommonJS file (the bundle of these modules), so
 * `__filename` is that file's path.
 */
export const HARNESS_DIR = dirname(__filename) + '/';

/**
 * Where every tenant module is imported from (importSource): a data: URL whose `fn` parameter
 * names the module, so it is recognized from its start, even where a message cut it short.
 */
export const MODULE_DATA_URL = 'data:text/javascript;fn=';

/** URL of a module copied in beside the harness (ES modules: the harness imports them). */
export function siblingUrl(name: string): string {
  return new URL(name, pathToFileURL(__filename)).href;
}
