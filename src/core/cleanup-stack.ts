// Undo for a start that fails halfway: each resource registers how to close it as soon as it is
// open, and a failure closes them all, last opened first. A refused start then leaves no helper
// process, worker thread, database handle or cgroup behind, and the process can exit.

export type Close = () => Promise<unknown> | unknown;

export class CleanupStack {
  private readonly closes: Close[] = [];

  /** Registers how to close a resource just opened. */
  add(close: Close): void {
    this.closes.push(close);
  }

  /** Closes everything registered, newest first; one failing close does not stop the others. */
  async closeAll(onError: (err: unknown) => void): Promise<void> {
    while (this.closes.length > 0) {
      const close = this.closes.pop()!;
      try {
        await close();
      } catch (err) {
        onError(err);
      }
    }
  }
}
