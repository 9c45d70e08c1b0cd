// The kernel's cgroupfs through node:fs, synchronously. The server's own thread uses it only at
// start and stop and for reads (microseconds on a pseudo-filesystem); placements and moves run in
// the cgroup worker thread (ops.ts), because a mkdir there, or a write to cgroup.procs waiting
// for an RCU grace period (about 6 ms here after an idle moment), can take milliseconds.
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
