// A Sandbox over a spawned harness process, shared by both isolators. It speaks the frame
// protocol on fd 3, drains fd 1/2 continuously into the running execution's logs, and enforces
// every limit from outside: the deadline (kill of the whole process group), frame size caps,
// frame validation, result size and depth. Any violation destroys the sandbox. Runs go one at a
// time; a run requested while another is in progress is sent at once and queued behind it (the
// harness starts it when the one before has answered), and its own deadline starts then.
// Its parts: boot.ts (the ready handshake), outbound.ts (hello and run frames, the inbound cap),
// frames.ts / inbound.ts (decoding, validation), frame-reads.ts / frame-writes.ts (frame order
// while a large answer is read on the parser thread), execution.ts (the run in flight, its frames
// and its answer), run-outcome.ts (result checks, failure errors), logs.ts (captured output),
// group-kill.ts (ending the processes), waiting-runs.ts (runs queued behind the one in progress),
// exit-notice.ts (the process's end), exit-drain.ts (output read after an exit mid-run),
// memory-watch.ts (memory figures of a run gone wrong), channel-options.ts (what an isolator hands
// it). Log lines of a run in progress may arrive before its answer (`logs` frames).
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { ExecutionError, SecurityLayer } from '../core/types.js';
import { BootHandshake } from './boot.js';
import type { ChannelOptions } from './channel-options.js';
import type { LaunchedProcess } from './launch/types.js';
import { answeredOutcome, elapsedMs, routeRunFrame, scanStderrForOom, settleAnswered, startExecution } from './execution.js';
import { drainStreams, takeLogsAfterExit } from './exit-drain.js';
import { ExitNotice, processGone } from './exit-notice.js';
import type { Execution } from './execution.js';
import { FrameDecoder, FrameError, encodeFrame } from './frames.js';
import { FrameWrites } from './frame-writes.js';
import { OrderedFrameReads } from './frame-reads.js';
import type { FrameRead } from './frame-reads.js';
import { GroupKill } from './group-kill.js';
import { FRAME_SLACK, helloFrame, runFrameBody, runFrameCap } from './outbound.js';
import { withoutOomReport } from './oom-report.js';
import type { Sandbox, SandboxRunOutcome, SandboxRunRequest } from './port.js';
import { DEFAULT_MAX_RESULT_DEPTH, exitFailure, invalidFrameError, outcomeNow, timeoutError } from './run-outcome.js';
import { MemoryWatch } from './memory-watch.js';
import { WaitingRuns } from './waiting-runs.js';
import type { QueuedRun } from './waiting-runs.js';

export type { ChannelOptions } from './channel-options.js';

type State = 'booting' | 'idle' | 'busy' | 'dead';

/** Weight of the newest run in averageRunMs. */
const RUN_MS_WEIGHT = 0.25;

export class ChannelSandbox implements Sandbox {
  readonly id = `sb_${randomUUID()}`;
  readonly memoryMiB: number;
  readonly layers: readonly SecurityLayer[];
  private readonly child: LaunchedProcess;
  private readonly frames: Duplex;
  private readonly decoder = new FrameDecoder(FRAME_SLACK);
  private readonly loaded = new Set<string>();
  private readonly exitNotice = new ExitNotice();
  private readonly exited: Promise<void>;
  private state: State = 'booting';
  /** The run in progress: frames from the sandbox belong to it. */
  private exec: Execution | null = null;
  /** Runs sent and queued behind `exec`, in order. */
  private readonly waiting = new WaitingRuns((run) => this.withdraw(run));
  /** A run whose answer arrived and which still collects fd 1/2 output until this poll round ends. */
  private finishing: Execution | null = null;
  /** Moving average of answered runs' durations, ms. */
  private runMsAverage: number | undefined;
  private readonly boot = new BootHandshake();
  private readonly killer: GroupKill;
  private promoteFn: (() => void) | undefined;
  private readonly bindFn: ((tenant: string) => Promise<void> | undefined) | undefined;
  /** See Sandbox.cpuUsageNs: the isolator's cgroup counter, or none. */
  readonly cpuUsageNs: () => number | undefined;
  private readonly memory: MemoryWatch;
  /** destroy() was called: an execution cut short by it is reported as such, not as a crash. */
  private destroyRequested = false;
  /** The process exited mid-run and the rest of its output is being read (see onProcessGone). */
  private drainingAfterExit = false;
  /** Frames in arrival order; large done frames are read on the parser thread (frame-reads.ts). */
  private readonly reads: OrderedFrameReads;
  /** Frames to the sandbox, held while one of its answers is read on the thread (frame-writes.ts). */
  private readonly writes: FrameWrites;
  /** The run whose deadline passed while its answer may be the frame on the thread (its sandbox is stopped). */
  private answerAwaited: Execution | null = null;
  /** The process exited while frames it sent before were read on the thread: they still count. */
  private exitedDuringRead = false;

  /** Spawns nothing itself: wraps a started child and resolves once the harness is ready. */
  static start(opts: ChannelOptions): Promise<ChannelSandbox> {
    const sandbox = new ChannelSandbox(opts);
    const booted = sandbox.boot.wait(
      opts.bootTimeoutMs ?? 10_000,
      () => {
        sandbox.state = 'idle';
      },
      () => sandbox.kill(),
      sandbox.exited,
    );
    return booted.then(() => sandbox);
  }

  private constructor(opts: ChannelOptions) {
    this.child = opts.child;
    this.memoryMiB = opts.memoryMiB;
    this.layers = opts.layers;
    this.killer = new GroupKill(() => opts.child.pid, opts.terminate);
    this.promoteFn = opts.promote;
    this.bindFn = opts.bindTenant;
    this.cpuUsageNs = opts.cpuUsageNs ?? (() => undefined);
    this.memory = new MemoryWatch(opts);
    this.reads = new OrderedFrameReads({
      reader: opts.frameReader,
      // Only with no run queued behind: the harness starts a queued run as soon as it has
      // answered, and its time must count from then, which the host learns only from the answer.
      run: () =>
        this.exec === null || this.waiting.length > 0
          ? undefined
          : { tenant: this.exec.req.tenant, maxResultDepth: this.exec.req.maxResultDepth ?? DEFAULT_MAX_RESULT_DEPTH },
      deliver: (read) => this.onFrame(read),
      pause: (paused) => (paused ? this.writes.hold() : this.writes.release(this.killed)),
      discard: () => !this.takesFrames(),
    });
    const { stdout, stderr } = opts.child;
    this.frames = opts.child.frames;
    this.writes = new FrameWrites(this.frames);
    stdout.on('data', (chunk: Buffer) => this.onOutput('stdout', chunk));
    stderr.on('data', (chunk: Buffer) => this.onOutput('stderr', chunk));
    this.frames.on('data', (chunk: Buffer) => this.onFrameData(chunk));
    for (const stream of [stdout, stderr, this.frames]) stream.on('error', () => {});
    const hello = helloFrame(opts.warmup ?? 'full');
    if (opts.beforeHello === undefined) this.frames.write(hello);
    else opts.beforeHello().then(() => this.killed || this.frames.write(hello), (err: unknown) => this.failBoot(err));
    this.exited = processGone(this.child, (err) => this.boot.addNote(err.message), () => this.kill()).then(() =>
      this.onProcessGone(opts.afterExit),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.killed && this.state !== 'dead' && this.state !== 'booting';
  }

  get pending(): number {
    return (this.exec === null ? 0 : 1) + this.waiting.length;
  }

  get currentRunMs(): number {
    return this.exec === null ? 0 : performance.now() - this.exec.startedAt;
  }

  get averageRunMs(): number | undefined {
    return this.runMsAverage;
  }

  onExit(listener: () => void): void {
    this.exitNotice.on(listener);
  }

  destroy(): Promise<void> {
    this.destroyRequested = true;
    this.kill();
    return this.exited;
  }

  promote(): void {
    const promote = this.promoteFn;
    this.promoteFn = undefined;
    promote?.();
  }

  bindTenant(tenant: string): Promise<void> {
    const moving = this.bindFn?.(tenant) ?? Promise.resolve();
    // Fail closed: a sandbox that cannot join its tenant's group does not live on.
    return moving.catch(async (err: unknown) => {
      await this.destroy();
      throw err;
    });
  }

  run(req: SandboxRunRequest): Promise<SandboxRunOutcome> {
    if (!this.alive) {
      return Promise.resolve(outcomeNow('killed', { type: 'SandboxUnavailable', message: 'the sandbox is no longer running' }));
    }
    const sendCode = !this.loaded.has(req.version);
    const body = runFrameBody(req, sendCode);
    if (sendCode) this.loaded.add(req.version);
    this.state = 'busy';
    return new Promise<SandboxRunOutcome>((resolve) => {
      const run: QueuedRun = { req, resolve };
      if (this.exec === null && this.waiting.length === 0) this.begin(run);
      else this.waiting.add(run);
      this.updateFrameCap();
      this.writes.write(encodeFrame(body));
    });
  }

  /** Starts the host's side of a run (its deadline timer, its log collector) as the harness starts it. */
  private begin(run: QueuedRun): void {
    this.exec = startExecution(run.req, (json, flushed) => this.sendFrame(json, flushed), () => this.onDeadline(), run.resolve);
  }

  /**
   * Takes back a run still waiting: its caller gets `notStarted` now, and the harness is told to
   * drop it. If the harness started it already, it runs to its end (its own deadline applies)
   * and its answer is dropped: only runs nobody could see happen twice are ever queued.
   */
  private withdraw(run: QueuedRun): void {
    if (this.killed || !this.waiting.withdraw(run)) return;
    this.sendFrame(JSON.stringify({ t: 'cancel', id: run.req.executionId }));
  }

  /** The harness dropped a run the host took back. */
  private onCancelled(id: string): void {
    if (!this.waiting.dropCancelled(id)) return this.protocolError('cancelled frame for a run that was not taken back');
    this.updateFrameCap();
    this.idleIfDrained();
  }

  /** Back to idle once no run is in progress or queued. */
  private idleIfDrained(): void {
    if (this.state === 'busy' && this.pending === 0) this.state = 'idle';
  }

  /** Frames in one chunk may belong to consecutive runs: accept the largest any of them may send. */
  private updateFrameCap(): void {
    const cap = Math.max(this.exec === null ? 0 : runFrameCap(this.exec.req), this.waiting.frameCap());
    if (cap > 0) this.decoder.maxBytes = cap;
  }

  /** Writes one frame; `flushed`, if given, is called once it has left the host (see EgressRelay). */
  private sendFrame(json: string, flushed?: () => void): void {
    if (!this.killed) this.writes.write(encodeFrame(json), flushed);
  }

  /** Frames are taken until the sandbox is killed; after, only an awaited answer and what an exited process sent before. */
  private takesFrames(): boolean {
    return !this.killed || this.exitedDuringRead || (this.answerAwaited !== null && this.answerAwaited === this.exec);
  }

  // ------------------------------------------------------------------ inbound data

  private onOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (this.state === 'booting') return this.boot.addOutput(chunk);
    const exec = this.finishing ?? this.exec;
    if (exec === null || !exec.collecting) return; // between executions: drained and dropped
    exec.collector.addRaw(stream, chunk);
    if (stream === 'stderr') scanStderrForOom(exec, chunk);
  }

  private onFrameData(chunk: Buffer): void {
    if (this.killed && !this.drainingAfterExit) return;
    let bodies: Buffer[];
    try {
      bodies = this.decoder.push(chunk);
    } catch (err) {
      this.protocolError(err instanceof FrameError ? err.message : 'undecodable frame');
      return;
    }
    for (const body of bodies) {
      if (this.drainingAfterExit) takeLogsAfterExit(this.exec, body);
      else if (this.killed) return;
      else this.reads.push(body);
    }
  }

  private onFrame(read: FrameRead): void {
    if (!this.takesFrames()) return; // e.g. an earlier frame was refused while this one was read on the thread
    const { parsed } = read;
    if (!parsed.ok) return this.protocolError(parsed.reason);
    const frame = parsed.value;
    if (this.state === 'booting') {
      if (frame.t === 'ready') this.boot.ready();
      else this.protocolError('expected a ready frame');
      return;
    }
    if (frame.t === 'cancelled') return this.onCancelled(frame.id);
    const exec = this.exec;
    if (frame.t === 'logs' || frame.t === 'fetch' || frame.t === 'fetch-abort' || frame.t === 'checkpoint') {
      const violation = routeRunFrame(exec, frame, read.bytes);
      return violation === undefined ? undefined : this.protocolError(violation);
    }
    if (exec === null || exec.settled || frame.t !== 'done') return this.protocolError(`unsolicited ${frame.t} frame`);
    if (frame.id !== exec.req.executionId) return this.protocolError('done frame for another execution');
    const receivedAt = Date.now();
    const durationMs = settleAnswered(exec, read.arrivedAt); // not counting a read on the thread
    this.runMsAverage = this.runMsAverage === undefined ? durationMs : this.runMsAverage + RUN_MS_WEIGHT * (durationMs - this.runMsAverage);
    // The harness starts the next queued run as soon as it has answered: so does the host.
    this.exec = null;
    const next = this.waiting.next();
    if (next !== undefined) {
      this.begin(next);
      this.updateFrameCap();
    }
    // Output the sandbox wrote before answering may still sit in the fd 1/2 buffers: let this
    // poll round read it, then complete.
    this.finishing = exec;
    setImmediate(() => {
      if (this.finishing === exec) this.finishing = null;
      const outcome = answeredOutcome(exec, frame, receivedAt, durationMs, read.bytes, read.checked);
      if (this.killed) outcome.reusable = false; // e.g. a bad frame arrived meanwhile
      this.endExecution(exec, outcome);
    });
  }

  // ------------------------------------------------------------------ failures

  private onDeadline(): void {
    const exec = this.exec;
    if (exec === null || exec.settled) return;
    const error = timeoutError(exec.req.timeoutMs, this.memory.atDeadline(), exec.req.timeoutName);
    if (this.reads.reading) {
      // Its answer may be the frame the thread is reading: the sandbox is stopped now (it gets no
      // more time), and the run ends `timeout` unless that frame was its answer.
      this.answerAwaited = exec;
      this.kill();
      void this.reads.idle().then(() => {
        this.answerAwaited = null;
        if (!exec.settled) this.failExecution(exec, 'timeout', error);
      });
      return;
    }
    this.failExecution(exec, 'timeout', error);
  }

  /** What the sandbox needed before its hello failed: it never boots. */
  private failBoot(err: unknown): void {
    this.boot.addNote(err instanceof Error ? err.message : String(err));
    this.kill();
  }

  private protocolError(reason: string): void {
    if (this.state === 'booting') {
      this.boot.fail(new Error(`protocol error: ${reason}`));
      return;
    }
    const exec = this.exec;
    if (exec !== null && !exec.settled) this.failExecution(exec, 'killed', invalidFrameError(reason));
    else this.kill();
  }

  /** Ends the execution with a non-reusable outcome and kills the sandbox. */
  private failExecution(exec: Execution, status: SandboxRunOutcome['status'], error: ExecutionError, exit?: SandboxRunOutcome['exit']): void {
    exec.settled = true;
    exec.collecting = false;
    clearTimeout(exec.timer);
    this.kill();
    const durationMs = elapsedMs(exec);
    const logs = exec.collector.finish();
    const outcome: SandboxRunOutcome = { status, error, logs: exec.v8OomReported ? withoutOomReport(logs) : logs, durationMs, reusable: false };
    if (exit !== undefined) outcome.exit = exit;
    this.endExecution(exec, outcome);
  }

  private endExecution(exec: Execution, outcome: SandboxRunOutcome): void {
    exec.relay?.close();
    exec.checkpoints?.close();
    if (this.exec === exec) this.exec = null;
    this.idleIfDrained();
    if (!outcome.reusable) this.kill();
    exec.resolve(outcome);
  }

  /** Kills the sandbox (see GroupKill); runs queued behind the one in progress never start. */
  private kill(): void {
    this.killer.kill();
    this.waiting.abandon();
  }

  private get killed(): boolean {
    return this.killer.killed;
  }

  private async onProcessGone(afterExit: (() => Promise<void>) | undefined): Promise<void> {
    this.killer.leaderExited();
    if (this.reads.reading) {
      // A frame read on the thread (and those after it) came before the exit: they count first.
      this.exitedDuringRead = true;
      await this.reads.idle();
      this.exitedDuringRead = false;
    }
    const exec = this.exec;
    if (exec !== null && !exec.settled) {
      // Ended mid-execution: read the rest of its output before deciding (exit-drain.ts).
      this.drainingAfterExit = true;
      await drainStreams([this.child.stderr, this.frames]);
      this.drainingAfterExit = false;
      exec.oomSeen = this.memory.ranOut(exec.v8OomReported);
      if (!exec.settled) {
        const { exitCode, signalCode } = this.child;
        const { status, error } = exitFailure({ oom: exec.oomSeen, destroyRequested: this.destroyRequested, memoryMiB: this.memoryMiB, exitCode, signalCode });
        this.failExecution(exec, status, error, { code: exitCode, signal: signalCode });
      }
    }
    if (this.state === 'booting') this.boot.fail(new Error('the sandbox process exited during boot'));
    this.waiting.abandon();
    this.state = 'dead';
    for (const stream of [this.child.stdout, this.child.stderr, this.frames]) stream.destroy();
    if (afterExit !== undefined) await afterExit().catch(() => {});
    this.exitNotice.fire();
  }
}
