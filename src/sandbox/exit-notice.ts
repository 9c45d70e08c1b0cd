// When a sandbox's process is gone (processGone), and the listeners told so once its channel is
// done with it (Sandbox.onExit): each runs once, a late one at once (in a microtask), and one that
// throws does not keep the others from running.
import type { LaunchedProcess } from './launch/types.js';

/**
 * Resolves once the launched process is gone: at its exit, or at an error of one that never
 * started or already exited (a spawn failure such as a missing binary emits 'error' and possibly
 * never 'exit'). Every error goes to `onError` first; `stillRunning` is told of one that leaves the
 * process running.
 */
export function processGone(child: LaunchedProcess, onError: (err: Error) => void, stillRunning: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.on('error', (err) => {
      onError(err);
      if (child.pid === undefined || child.exitCode !== null) resolve();
      else stillRunning();
    });
  });
}

export class ExitNotice {
  #fired = false;
  readonly #listeners: (() => void)[] = [];

  on(listener: () => void): void {
    if (this.#fired) queueMicrotask(listener);
    else this.#listeners.push(listener);
  }

  fire(): void {
    this.#fired = true;
    for (const listener of this.#listeners.splice(0)) {
      try {
        listener();
      } catch {
        // a listener's failure is not the sandbox's concern
      }
    }
  }
}
