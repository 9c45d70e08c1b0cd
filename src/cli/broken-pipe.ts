// What the CLI does when the reader of its output goes away (`airlock executions acme | head -1`):
// a write then fails with EPIPE, which Node reports as an 'error' event that would crash the
// process with a stack trace. The CLI stops at once instead, quietly, with exit status 0: the
// reader took what it wanted, as with `head`, and a script with `set -o pipefail` does not fail
// because of it (a tool killed by SIGPIPE would make it fail with 141). Other write errors still
// end the CLI with exit 1 and say what failed.

/** Exit status when stdout or stderr's reader went away. */
export const BROKEN_PIPE_EXIT = 0;

/** Ends the process quietly when `stream`'s reader goes away; any other write error ends it with 1. */
export function stopOnBrokenPipe(stream: NodeJS.WriteStream, exit: (code: number) => never = process.exit): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') exit(BROKEN_PIPE_EXIT);
    // Nothing can be written to this stream any more; say it on the other one if it works.
    const other = stream === process.stdout ? process.stderr : process.stdout;
    if (!other.destroyed) other.write(`error WRITE_FAILED: cannot write the output (${err.code ?? err.message})\n`);
    exit(1);
  });
}
