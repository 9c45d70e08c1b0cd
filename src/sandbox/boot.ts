// The boot handshake of a channel sandbox, host side: waits for the harness's `ready` frame
// (it sends one only after the host's `hello`), bounded by a timeout, and keeps what the process
// wrote meanwhile (capped) so a failed boot reports it as SANDBOX_FAILED.
import { AirlockError } from '../core/errors.js';

const BOOT_STDERR_CAP = 8 * 1024;

export class BootHandshake {
  private output = '';
  private settle: ((err?: Error) => void) | null = null;

  /** Output of the process before ready (fd 1 or 2), kept up to BOOT_STDERR_CAP. */
  addOutput(chunk: Buffer): void {
    if (this.output.length < BOOT_STDERR_CAP) this.output += chunk.toString('utf8').slice(0, BOOT_STDERR_CAP);
  }

  /** A host-side reason (spawn error, failed setup) added to the failure message. */
  addNote(message: string): void {
    this.output += `\n${message}`;
  }

  /**
   * Resolves once ready() is called, after `onReady`. On fail() or after `timeoutMs`: calls
   * `kill`, waits for `exited`, then rejects with SANDBOX_FAILED and the output kept.
   */
  wait(timeoutMs: number, onReady: () => void, kill: () => void, exited: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.settle?.(new Error(`no ready frame within ${timeoutMs} ms`)), timeoutMs);
      this.settle = (err) => {
        this.settle = null;
        clearTimeout(timer);
        if (err === undefined) {
          onReady();
          this.output = '';
          resolve();
          return;
        }
        kill();
        void exited.then(() => {
          const stderr = this.output.trim();
          reject(
            new AirlockError('SANDBOX_FAILED', `sandbox failed to boot: ${err.message}${stderr ? `; stderr: ${stderr}` : ''}`, {
              stderr,
            }),
          );
        });
      };
    });
  }

  /** The harness said ready. No-op unless waiting. */
  ready(): void {
    this.settle?.();
  }

  /** The boot failed (protocol error, exit). No-op unless waiting. */
  fail(err: Error): void {
    this.settle?.(err);
  }
}
