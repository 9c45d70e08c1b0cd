// Listeners told once that a sandbox's processes are gone (Sandbox.onExit): each runs once, a late
// one at once (in a microtask), and one that throws does not keep the others from running.
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
