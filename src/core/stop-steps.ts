// The steps of a graceful stop, run in order, every one even when an earlier one failed: a store
// that cannot flush must not leave the queue, the database handles or the checkpointer open.
// Each failure is reported with the part that failed; the parts are kept so the stop can say at
// the end that it did not close everything.

export class StopSteps {
  private readonly onError: (part: string, err: unknown) => void;
  /** Parts whose step threw, in order. */
  readonly failed: string[] = [];

  constructor(onError: (part: string, err: unknown) => void) {
    this.onError = onError;
  }

  /** Runs one step; never throws. */
  async run(part: string, step: () => unknown): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.failed.push(part);
      this.onError(part, err);
    }
  }
}
