// Launches sandbox processes from the calling process with child_process.spawn. Used by the
// spawner process itself, by `check()` (so bwrap's own error output is never lost), and by tests.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Duplex, Readable, Writable } from 'node:stream';
import { coverInheritedFds } from '../fds.js';
import { COLLECT_CAP } from './types.js';
import type { LaunchedProcess, LaunchRequest, Launcher } from './types.js';

/** Reads a stream to its end, keeping the first COLLECT_CAP bytes. Never rejects. */
function collect(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      if (text.length < COLLECT_CAP) text += chunk.toString('utf8').slice(0, COLLECT_CAP - text.length);
    });
    stream.on('error', () => resolve(text));
    stream.on('close', () => resolve(text));
  });
}

/** Starts the process; the caller gets the ChildProcess and its pipes. */
export function spawnForLaunch(req: LaunchRequest): { child: ChildProcess; collected: Map<number, Promise<string>> } {
  const stdio: ('ignore' | 'pipe')[] = ['ignore', ...Array.from({ length: req.pipes - 1 }, () => 'pipe' as const)];
  // `nice -n N file args…` execs into `file`: same pid, and every process it starts inherits N.
  const [file, args] = req.nice ? [req.nice.nicePath, ['-n', String(req.nice.value), req.file, ...req.args]] : [req.file, req.args];
  const child = spawn(file, args, {
    env: {}, // a sandbox's pid 1 keeps the environment it was started with
    cwd: req.cwd,
    detached: true, // own process group: the whole group can be killed
    stdio: coverInheritedFds(stdio),
    ...(req.uid === undefined ? {} : { uid: req.uid }),
    ...(req.gid === undefined ? {} : { gid: req.gid }),
  });
  const pipes = child.stdio as unknown as (Readable | Writable | null)[];
  for (const { fd, data } of req.inputs) {
    const pipe = pipes[fd] as Writable | null;
    pipe?.on('error', () => {});
    pipe?.end(data);
  }
  const collected = new Map<number, Promise<string>>();
  for (const fd of req.collect) {
    const pipe = pipes[fd] as Readable | null;
    collected.set(fd, pipe ? collect(pipe) : Promise.resolve(''));
  }
  return { child, collected };
}

class LocalProcess extends EventEmitter implements LaunchedProcess {
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly frames: Duplex;
  private readonly child: ChildProcess;
  private readonly collectedText: Map<number, Promise<string>>;

  constructor(child: ChildProcess, collected: Map<number, Promise<string>>) {
    super();
    this.child = child;
    this.collectedText = collected;
    this.stdout = child.stdout!;
    this.stderr = child.stderr!;
    this.frames = child.stdio[3] as Duplex;
    child.once('exit', (code, signal) => this.emit('exit', code, signal));
    child.on('error', (err) => this.emit('error', err));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  get signalCode(): string | null {
    return this.child.signalCode;
  }

  collected(fd: number): Promise<string> {
    return this.collectedText.get(fd) ?? Promise.resolve('');
  }
}

export class DirectLauncher implements Launcher {
  async launch(req: LaunchRequest): Promise<LaunchedProcess> {
    const { child, collected } = spawnForLaunch(req);
    return new LocalProcess(child, collected);
  }

  async close(): Promise<void> {
    // Processes started here belong to their sandboxes, which kill them.
  }
}
