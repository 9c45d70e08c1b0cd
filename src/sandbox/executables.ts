// Locating host executables (bwrap, nice). Sandboxes are spawned with an empty environment, so
// spawn() cannot search PATH for us: we resolve absolute paths from the server's own PATH.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Finds an executable on PATH (the sandbox is spawned with an empty env, so not by spawn). */
export function resolveExecutable(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, name));
  for (const candidate of candidates) {
    if (!isAbsolute(candidate)) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

