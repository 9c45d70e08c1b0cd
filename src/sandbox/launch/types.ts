// The launcher port: how an isolator starts a sandbox process. `DirectLauncher` forks from the
// calling process; `SpawnerLauncher` asks a small helper process to fork and receives the
// sandbox's sockets over IPC, so the server's event loop never pays for fork() (≈10 ms for a
// ~100 MB process on our machines, which every call in flight would otherwise wait out).
import type { Duplex, Readable } from 'node:stream';

export interface LaunchRequest {
  file: string;
  args: string[];
  cwd: string;
  /** Host uid/gid to start as (set when the server runs as root). */
  uid?: number;
  gid?: number;
  /** Number of stdio slots; fd 0 is /dev/null, fds 1..pipes-1 are pipes. At least 4. */
  pipes: number;
  /** Data written to these fds, which are then closed (e.g. bwrap --args, --file). */
  inputs: LaunchInput[];
  /** Fds whose output (first 4 KiB) is collected as text until they close (e.g. --info-fd). */
  collect: number[];
  /** Start with this niceness (via `nice`, which must be at `nicePath`); unset: inherit. */
  nice?: { value: number; nicePath: string };
}

export interface LaunchInput {
  fd: number;
  data: Buffer;
  /**
   * This very Buffer comes with every launch (the harness, the seccomp filter): a launcher in
   * another process may keep a copy and receive it only once (shared-inputs.ts).
   */
  reused?: boolean;
}

export interface LaunchedProcess {
  /** Host pid; undefined when the process could not be started. */
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** fd 3: the frame channel. */
  readonly frames: Duplex;
  readonly exitCode: number | null;
  readonly signalCode: string | null;
  /** Text collected from a `collect` fd once it closed ('' when nothing was written). */
  collected(fd: number): Promise<string>;
  once(event: 'exit', listener: (code: number | null, signal: string | null) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

export interface Launcher {
  launch(req: LaunchRequest): Promise<LaunchedProcess>;
  /** Stops the launcher; processes it started are killed. */
  close(): Promise<void>;
}

/** Largest collected output per fd, bytes. */
export const COLLECT_CAP = 4096;
