// Server side of the spawner process (see spawner-main.ts): sends launch requests, receives the
// sandbox's sockets and exit reports, and presents each sandbox as a LaunchedProcess. The
// spawner is started on first use and again if it ever dies; with `openFiles` it starts under
// util-linux `prlimit`, so it and every sandbox it forks have that RLIMIT_NOFILE.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { AirlockError } from '../../core/errors.js';
import type { FromSpawner, ToSpawner } from './messages.js';
import { SharedInputs } from './shared-inputs.js';
import type { LaunchedProcess, LaunchRequest, Launcher } from './types.js';

const SPAWNER_MAIN = fileURLToPath(new URL('./spawner-main.js', import.meta.url));

class RemoteProcess extends EventEmitter implements LaunchedProcess {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: string | null = null;
  sockets: (Socket | undefined)[] = [];
  private readonly texts = new Map<number, { promise: Promise<string>; resolve: (t: string) => void }>();

  get stdout(): Readable {
    return this.sockets[1]!;
  }

  get stderr(): Readable {
    return this.sockets[2]!;
  }

  get frames(): Duplex {
    return this.sockets[3]!;
  }

  get complete(): boolean {
    return this.pid !== undefined && this.sockets[1] !== undefined && this.sockets[2] !== undefined && this.sockets[3] !== undefined;
  }

  private text(fd: number): { promise: Promise<string>; resolve: (t: string) => void } {
    let entry = this.texts.get(fd);
    if (!entry) {
      let resolve!: (t: string) => void;
      const promise = new Promise<string>((r) => (resolve = r));
      entry = { promise, resolve };
      this.texts.set(fd, entry);
    }
    return entry;
  }

  collected(fd: number): Promise<string> {
    return this.text(fd).promise;
  }

  setCollected(fd: number, text: string): void {
    this.text(fd).resolve(text);
  }

  exited(code: number | null, signal: string | null): void {
    this.exitCode = code;
    this.signalCode = signal;
    for (const entry of this.texts.values()) entry.resolve('');
    // After the current turn, as a ChildProcess's 'exit' comes: the exit report can arrive in the
    // same read as the message that completed the launch, before its taker attached a listener.
    setImmediate(() => this.emit('exit', code, signal));
  }
}

interface Pending {
  proc: RemoteProcess;
  resolve: (p: LaunchedProcess) => void;
  reject: (err: Error) => void;
}

export interface SpawnerOptions {
  /**
   * RLIMIT_NOFILE, soft and hard, of the spawner and so of every sandbox it forks (a limit is
   * inherited through fork and exec, and a sandbox without CAP_SYS_RESOURCE cannot raise it).
   * Set by starting the spawner under `prlimit` at `prlimitPath`; unset: the server's own limit.
   */
  openFiles?: { limit: number; prlimitPath: string };
}

export class SpawnerLauncher implements Launcher {
  private readonly options: SpawnerOptions;
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly live = new Map<number, RemoteProcess>();
  /** What the current spawner process already holds of the inputs marked `reused`. */
  private readonly shared = new SharedInputs();
  private closed = false;

  constructor(options: SpawnerOptions = {}) {
    this.options = options;
  }

  launch(req: LaunchRequest): Promise<LaunchedProcess> {
    if (this.closed) return Promise.reject(new AirlockError('SHUTTING_DOWN', 'the sandbox launcher is closed'));
    const child = this.ensureSpawner();
    const id = this.nextId++;
    const proc = new RemoteProcess();
    return new Promise<LaunchedProcess>((resolve, reject) => {
      this.pending.set(id, { proc, resolve, reject });
      this.live.set(id, proc);
      this.updateRef();
      const { ahead, req: wire } = this.shared.wire(req);
      const failed = (err: Error | null): void => {
        if (err) this.fail(id, `could not reach the spawner process: ${err.message}`);
      };
      for (const input of ahead) child.send(input, failed);
      const message: ToSpawner = { op: 'launch', id, req: wire };
      child.send(message, failed);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Hold the event loop until the spawner (and with it every sandbox) is gone.
    child.ref();
    if (child.connected) child.disconnect();
    await exited;
  }

  private ensureSpawner(): ChildProcess {
    if (this.child && this.child.connected) return this.child;
    const nofile = this.options.openFiles;
    // `prlimit --nofile=N:N node spawner-main.js`: prlimit sets the limit and execs Node, which
    // keeps the IPC channel (its fd and NODE_CHANNEL_FD pass through the exec).
    const start = nofile === undefined ? {} : { execPath: nofile.prlimitPath, execArgv: [`--nofile=${nofile.limit}:${nofile.limit}`, process.execPath] };
    const child = fork(SPAWNER_MAIN, [String(process.pid)], {
      env: {},
      execArgv: [],
      ...start,
      // A process group of its own, like the sandboxes it forks: a signal meant for the server's
      // group (Ctrl-C in a terminal, a supervisor signalling the group) reaches only the server,
      // which stops gracefully. In the server's group the spawner died of it at once, and with it
      // every sandbox: calls in flight ended `killed` and running jobs counted a crashed attempt.
      // It still ends with the server (spawner-main.ts: the IPC channel, its parent pid).
      detached: true,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (msg: FromSpawner, handle: unknown) => this.onMessage(msg, handle as Socket | undefined));
    child.on('error', () => {});
    child.once('exit', () => this.onSpawnerGone(child));
    this.child = child;
    this.shared.reset(); // a new spawner holds no input yet
    return child;
  }

  private onMessage(msg: FromSpawner, handle: Socket | undefined): void {
    const proc = this.live.get(msg.id);
    if (!proc) {
      handle?.destroy();
      return;
    }
    switch (msg.op) {
      case 'launched':
        proc.pid = msg.pid;
        break;
      case 'stdio':
        if (handle) proc.sockets[msg.fd] = handle;
        break;
      case 'collected':
        proc.setCollected(msg.fd, msg.text);
        break;
      case 'error':
        proc.emit('error', new Error(msg.message));
        break;
      case 'failed':
        this.fail(msg.id, msg.message);
        return;
      case 'exit':
        this.live.delete(msg.id);
        if (this.pending.has(msg.id) && !proc.complete) {
          // Gone before all its sockets were handed over (a socket closed by then travels without
          // its handle): the launch fails now. Waiting for the missing socket hung the start for
          // ever (a blank-pool refill, and with it every later refill and the server's stop).
          const how = msg.signal === null ? `exit code ${msg.code}` : `signal ${msg.signal}`;
          this.fail(msg.id, `it exited at once (${how}), before it could be handed over; \`airlock doctor\` says why sandboxes cannot start`);
          return;
        }
        this.settle(msg.id);
        proc.exited(msg.code, msg.signal);
        this.updateRef();
        return;
    }
    this.settle(msg.id);
  }

  /** Resolves a pending launch once its pid and all three sockets arrived. */
  private settle(id: number): void {
    const pending = this.pending.get(id);
    if (!pending || !pending.proc.complete) return;
    this.pending.delete(id);
    this.updateRef();
    pending.resolve(pending.proc);
  }

  private fail(id: number, message: string): void {
    const pending = this.pending.get(id);
    this.live.delete(id);
    this.updateRef();
    if (!pending) return;
    this.pending.delete(id);
    for (const socket of pending.proc.sockets) socket?.destroy();
    pending.reject(new AirlockError('SANDBOX_FAILED', `the sandbox process could not be started: ${message}`));
  }

  private onSpawnerGone(child: ChildProcess): void {
    if (this.child === child) this.child = undefined;
    // Its sandboxes die with it (--die-with-parent, and it kills them on disconnect).
    for (const id of [...this.pending.keys()]) this.fail(id, 'the spawner process exited');
    for (const [id, proc] of [...this.live]) {
      this.live.delete(id);
      proc.exited(null, 'SIGKILL');
    }
    this.updateRef();
  }

  /** Keeps the event loop alive only while a launch is pending or a sandbox is alive. */
  private updateRef(): void {
    const child = this.child;
    if (!child || this.closed) return;
    const busy = this.pending.size > 0 || this.live.size > 0;
    const channel = child.channel as { ref(): void; unref(): void } | null | undefined;
    if (busy) {
      child.ref();
      channel?.ref();
    } else {
      child.unref();
      channel?.unref();
    }
  }
}
