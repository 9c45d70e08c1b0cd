// Ending a sandbox's processes: the isolator's own kill when it has one, else (or as well, if
// that does not end them promptly) SIGKILL to the whole process group (sandboxes are spawned
// detached: pgid = pid). Once the leader has exited, the rest of its group is killed too.

/** After `terminate`, how long before the whole process group is SIGKILLed as well, ms. */
const GROUP_KILL_FALLBACK_MS = 1_000;

export class GroupKill {
  /** kill() was called or the process exited: the sandbox is done for. */
  killed = false;
  private readonly pid: () => number | undefined;
  private readonly terminate: (() => boolean) | undefined;
  private fallback: NodeJS.Timeout | undefined;

  /** `pid`: the group leader's pid, read at kill time; `terminate`: the isolator's kill, if any. */
  constructor(pid: () => number | undefined, terminate: (() => boolean) | undefined) {
    this.pid = pid;
    this.terminate = terminate;
  }

  /** Kills the sandbox once: `terminate` first, the process group if that fails or lags. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    let terminated = false;
    try {
      terminated = this.terminate?.() ?? false;
    } catch {
      terminated = false;
    }
    if (!terminated) return this.killGroup();
    this.fallback = setTimeout(() => this.killGroup(), GROUP_KILL_FALLBACK_MS);
    this.fallback.unref();
  }

  /**
   * The leader is gone, but other members of its group may not be (bwrap's pid-1 init): the
   * group id stays reserved while any member lives, so this cannot hit an unrelated process.
   */
  leaderExited(): void {
    this.killed = true;
    clearTimeout(this.fallback);
    this.killGroup();
  }

  private killGroup(): void {
    const pid = this.pid();
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is already gone
    }
  }
}
