// Batches of cgroupfs changes (group creation, limit writes, process moves, group removal) that
// run as one unit. The managers describe what a placement, a bind or a removal changes as a
// list of GroupOps; a GroupOpRunner carries it out: in a worker thread for the kernel's
// cgroupfs (op-runner.ts), so the milliseconds a mkdir or a move can take in the kernel never
// stall the server's event loop, or inline for tests and diagnostics.
import { exitingOrGone } from '../procfs.js';
import { errnoOf } from './fs.js';
import type { CgroupFs } from './types.js';

export type GroupOp =
  /** Creates a group; `existOk`: one that already exists is fine (parent groups). */
  | { op: 'mkdir'; path: string; existOk?: boolean }
  /** Writes one value. `ifExists`: skipped when the file is missing (optional kernel features). */
  | { op: 'write'; path: string; value: string; ifExists?: boolean }
  /** Moves every process listed in the `from` procs file to the `to` procs file. */
  | { op: 'moveAll'; from: string; to: string }
  /**
   * Reads a byte count (a group's memory charge) into the batch's readings. `optional`: a read
   * that fails (or holds no count) reads 0 instead of failing the batch (a figure for reports,
   * never worth undoing a move).
   */
  | { op: 'readBytes'; path: string; optional?: boolean }
  /**
   * Removes a group, never failing (a group left behind is swept at the next start). `retry`:
   * try again for a while when the kernel still holds exited tasks in it.
   */
  | { op: 'rmdir'; path: string; retry?: boolean };

/** Bound on the rounds of moving processes (a process forking while it is moved needs another). */
const MOVE_ROUNDS = 16;
/** rmdir attempts, RMDIR_PAUSE_MS apart, while the kernel finishes removing exited tasks. */
const RMDIR_TRIES = 50;
const RMDIR_PAUSE_MS = 10;

/**
 * Runs `ops` in order against `fs`; rejects with the first failure (the path is in its message).
 * Answers the batch's readings: the value each readBytes op read, in order.
 */
export async function runGroupOps(fs: CgroupFs, ops: readonly GroupOp[]): Promise<number[]> {
  const readings: number[] = [];
  for (const op of ops) {
    switch (op.op) {
      case 'mkdir':
        makeGroup(fs, op.path, op.existOk === true);
        break;
      case 'write':
        if (op.ifExists === true && !fs.exists(op.path)) break;
        fs.write(op.path, op.value);
        break;
      case 'moveAll':
        moveAll(fs, op.from, op.to);
        break;
      case 'readBytes':
        readings.push(readBytes(fs, op.path, op.optional === true));
        break;
      case 'rmdir':
        await removeDir(fs, op.path, op.retry === true ? RMDIR_TRIES : 1);
        break;
    }
  }
  return readings;
}

function readBytes(fs: CgroupFs, path: string, optional: boolean): number {
  try {
    const bytes = Number(fs.read(path).trim());
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new Error(`${path} holds no byte count`);
    return bytes;
  } catch (err) {
    if (optional) return 0;
    throw err;
  }
}

function moveAll(fs: CgroupFs, from: string, to: string): void {
  const written = new Set<string>();
  for (let round = 0; round < MOVE_ROUNDS; round++) {
    const pids = fs.read(from).split('\n').filter((p) => p !== '');
    if (pids.length === 0) return;
    // A process that is exiting stays listed in its group until it is gone (a large one for tens of
    // ms), and the kernel answers a write of its pid elsewhere with success but moves nothing.
    // Counted as still appearing, it failed the whole move, and a bind's failure destroys the
    // sandbox: a call that had just run a child process ended killed. Done once every pid still
    // listed was written already and is exiting or gone. Every listed pid is still written each
    // round: a process whose main thread exited is listed as exiting while its other threads run,
    // and the write moves those.
    if (round > 0 && pids.every((pid) => written.has(pid) && exitingOrGone(Number(pid)))) return;
    for (const pid of pids) {
      written.add(pid);
      try {
        fs.write(to, pid);
      } catch (err) {
        if (errnoOf(err) !== 'ESRCH') throw err; // exited meanwhile
      }
    }
  }
  throw new Error(`processes kept appearing in ${from}`);
}

async function removeDir(fs: CgroupFs, path: string, tries: number): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (removeGroupDir(fs, path)) return;
    if (i < tries - 1) await new Promise((resolve) => setTimeout(resolve, RMDIR_PAUSE_MS));
  }
}

/** Creates one group directory; with `existOk`, one that is already there is fine. Throws otherwise. */
export function makeGroup(fs: CgroupFs, path: string, existOk: boolean): void {
  try {
    fs.mkdir(path);
  } catch (err) {
    if (!(existOk && errnoOf(err) === 'EEXIST')) throw err;
  }
}

/** Removes one group directory; true when it is gone (removed now or already missing). */
export function removeGroupDir(fs: CgroupFs, path: string): boolean {
  try {
    fs.rmdir(path);
    return true;
  } catch (err) {
    return errnoOf(err) === 'ENOENT';
  }
}

/** Carries out batches of GroupOps. */
export interface GroupOpRunner {
  /**
   * Runs one batch in order; batches may overlap while one waits between rmdir attempts.
   * Answers the batch's readings (see runGroupOps).
   */
  run(ops: readonly GroupOp[]): Promise<number[]>;
  /** Waits for the batches under way, then releases what the runner holds (its thread). */
  close(): Promise<void>;
}

/** Runs batches on the calling thread (tests, fake filesystems). */
export class InlineOpRunner implements GroupOpRunner {
  private readonly fs: CgroupFs;
  private readonly running = new Set<Promise<unknown>>();

  constructor(fs: CgroupFs) {
    this.fs = fs;
  }

  run(ops: readonly GroupOp[]): Promise<number[]> {
    const done = runGroupOps(this.fs, ops);
    const tracked = done.catch(() => undefined);
    this.running.add(tracked);
    void tracked.then(() => this.running.delete(tracked));
    return done;
  }

  async close(): Promise<void> {
    await Promise.all([...this.running]);
  }
}
