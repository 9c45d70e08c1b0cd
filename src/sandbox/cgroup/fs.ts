// The kernel's cgroupfs through node:fs. Calls are synchronous: each is a few microseconds on a
// pseudo-filesystem, and binding a sandbox to its tenant must happen before its first run.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import type { CgroupFs } from './types.js';

export const kernelFs: CgroupFs = {
  mkdir(path) {
    mkdirSync(path);
  },
  rmdir(path) {
    rmdirSync(path);
  },
  write(path, value) {
    // The kernel reads one value per write(2); flag 'r+' never creates a missing file.
    writeFileSync(path, value, { flag: 'r+' });
  },
  read(path) {
    return readFileSync(path, 'utf8');
  },
  exists(path) {
    return existsSync(path);
  },
  children(path) {
    return readdirSync(path, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  },
};

/** Errno code of a failed fs call ('' when none). */
export function errnoOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : '';
}
