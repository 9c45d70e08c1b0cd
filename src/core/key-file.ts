// Reading a key file the server keeps in its data dir (admin.key, secret.key). It must be a
// regular file that only its owner can read; anything else stops the start with CONFIG_INVALID
// saying how to fix it, before the key is used (and without echoing it).
import { readFileSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { AirlockError } from './errors.js';

/**
 * The text of the key file at `path`, or undefined when there is none. `what` names it in
 * messages ("the admin key file"); `envVar` is the setting that makes the file unnecessary.
 */
export function readKeyFile(path: string, what: string, envVar: string): string | undefined {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(path, what, err);
  }
  if (!st.isFile()) {
    throw new AirlockError('CONFIG_INVALID', `${what} ${path} is not a regular file; remove it or set ${envVar}`);
  }
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `${what} ${path} has mode ${mode.toString(8).padStart(4, '0')}: group or others can read it. ` +
        `Fix it with \`chmod 600 ${path}\` (and check who may have copied it) before starting Airlock`,
    );
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw unreadable(path, what, err);
  }
}

function unreadable(path: string, what: string, err: unknown): AirlockError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new AirlockError('CONFIG_INVALID', `cannot read ${what} ${path} (${code}); check its permissions and the data dir's`);
}
