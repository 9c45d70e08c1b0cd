// Durable commits without blocking the event loop. Connections run synchronous=NORMAL: a commit
// writes its frames to the write-ahead log (`<db>-wal`) and returns without fsync. A caller that
// must not answer before its commit is on disk (a webhook's 202) then awaits sync(): one
// fdatasync of the -wal file, done in libuv's thread pool, covers every transaction committed
// before it started, so concurrent callers share syncs (group commit) and the event loop keeps
// serving requests meanwhile. (Linux flushes a file's dirty pages whatever descriptor wrote them.)
// If a checkpoint moved the frames into the database file and a later writer reused the log
// first, SQLite synced both files in that checkpoint: the frames were already durable.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** The log file as the syncer uses it. */
export interface LogFile {
  /** Flushes the file's data to disk. */
  datasync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The -wal file of `databaseFile`, opened on first use and kept open: SQLite keeps the same file
 * (truncating, never replacing it) while any connection is open, and the owner of this handle
 * holds one. Only the -wal file is ever opened here: closing a descriptor of the database file
 * would drop the POSIX locks SQLite holds on it (SQLite locks the database and -shm files, never
 * the log). A missing log (nothing was ever written) is an error the caller handles.
 */
export function openLogFile(databaseFile: string): LogFile {
  let handle: Promise<FileHandle> | undefined;
  return {
    async datasync() {
      handle ??= open(`${databaseFile}-wal`, 'r+');
      let file: FileHandle;
      try {
        file = await handle;
      } catch (err) {
        handle = undefined;
        throw err;
      }
      await file.datasync();
    },
    async close() {
      const opened = handle;
      handle = undefined;
      await (await opened?.catch(() => undefined))?.close();
    },
  };
}

export class WalSyncer {
  private readonly file: LogFile;
  /** The fdatasync under way, if any. */
  private running: Promise<void> | undefined;
  /** The fdatasync that starts when the running one ends: it covers every commit made meanwhile. */
  private queued: Promise<void> | undefined;

  constructor(file: LogFile) {
    this.file = file;
  }

  /** Resolves once every transaction committed before this call is on disk. */
  sync(): Promise<void> {
    // A sync already under way may have started before the caller's commit: it does not count.
    if (this.running === undefined) return this.start();
    this.queued ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  /** Waits for the syncs under way, then closes the log file. */
  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.queued]);
    await this.file.close();
  }

  private startQueued(): Promise<void> {
    this.queued = undefined;
    return this.start();
  }

  private start(): Promise<void> {
    const run = this.file.datasync().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
