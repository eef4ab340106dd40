/**
 * @module
 * What the bins do when the reader of their output goes away (`runagents runs list | head -1`):
 * stop quietly instead of dying on an unhandled `write EPIPE` with a stack trace.
 *
 * The exit status is 0, not the 141 (128 + SIGPIPE) a C program killed by the signal reports: the
 * reader chose to stop reading after it had what it wanted, so nothing failed, and a script running
 * with `set -o pipefail` must not fail on `runagents runs list | head -1`.
 */

/** On EPIPE from stdout or stderr, exit with status 0; other stream errors stay uncaught. */
export function exitQuietlyOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      throw error;
    });
  }
}
