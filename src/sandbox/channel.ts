// A Sandbox over a spawned harness process, shared by both isolators. It speaks the frame
// protocol on fd 3, drains fd 1/2 continuously into the running execution's logs, and enforces
// every limit from outside: the deadline (kill of the whole process group), frame size caps,
// frame validation, result size and depth. Any violation destroys the sandbox.
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { AirlockError } from '../core/errors.js';
import type { ExecutionError, SecurityLayer } from '../core/types.js';
import type { DoneFrame } from '../runtime/protocol.js';
import { FrameDecoder, FrameError, encodeFrame } from './frames.js';
import { exceedsDepth } from '../core/json.js';
import { boundedError, parseFrame } from './inbound.js';
import { EgressRelay, fetchFrameCap } from './egress-relay.js';
import { CheckpointRelay, checkpointFrameCap } from './checkpoint-relay.js';
import { LogCollector, escapeLogText } from './logs.js';
import type { LaunchedProcess } from './launch/types.js';
import type { Sandbox, SandboxRunOutcome, SandboxRunRequest } from './port.js';

const KiB = 1024;
/** Incoming frame slack beyond resultBytes + 2 * logBytes (envelope, error, escapes). */
const FRAME_SLACK = 64 * KiB;
const DEFAULT_MAX_RESULT_DEPTH = 256;
/** Upper bound of (canonical JSON length / received JSON length) for any JSON value. */
const MAX_JSON_EXPANSION = 6;
/** After an unexpected exit, how long to wait for the rest of stderr (OOM message), ms. */
const STDERR_DRAIN_MS = 250;
const BOOT_STDERR_CAP = 8 * KiB;
// V8's fatal message, e.g. "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap
// out of memory". Used ONLY when the isolator gives no `oomKilled` probe (the process isolator,
// which has no cgroup): a tenant can print this text itself, so with cgroups the kernel's own OOM
// event counter is the sole source of truth. Never the exit code.
const V8_OOM = /JavaScript heap out of memory|Reached heap limit/;

export interface ChannelOptions {
  child: LaunchedProcess;
  memoryMiB: number;
  /** Isolation layers the isolator put in force for this process. */
  layers: readonly SecurityLayer[];
  /** Longest wait for the harness's ready frame, ms. */
  bootTimeoutMs?: number;
  /** Ask the harness to warm its module loader before ready (default true). */
  prewarm?: boolean;
  /** Raises the sandbox's processes to normal CPU priority (see Sandbox.promote). */
  promote?: () => void;
  /**
   * Runs before the host sends `hello` (the harness runs no tenant code before it), e.g. to put
   * the processes in their cgroup. A rejection fails the boot and kills the sandbox.
   */
  beforeHello?: () => Promise<void>;
  /** See Sandbox.bindTenant. */
  bindTenant?: (tenant: string) => Promise<void> | undefined;
  /**
   * The kernel's verdict on whether the sandbox was OOM-killed (its cgroup's event counter). When
   * given, it alone decides the `oom` status; without it, V8's fatal message on stderr does.
   */
  oomKilled?: () => boolean;
  /** Runs once after the process exited, before destroy() resolves and onExit fires. */
  afterExit?: () => Promise<void>;
  /**
   * The isolator's preferred kill; returns false when it could not act. The process group is
   * SIGKILLed anyway if the process has not exited shortly after.
   */
  terminate?: () => boolean;
}

/** After `terminate`, how long before the whole process group is SIGKILLed as well, ms. */
const GROUP_KILL_FALLBACK_MS = 1_000;

interface Execution {
  req: SandboxRunRequest;
  collector: LogCollector;
  startedAt: number;
  timer: NodeJS.Timeout;
  oomSeen: boolean;
  stderrTail: string;
  /** An answer was decided (done frame, deadline, crash, protocol error). */
  settled: boolean;
  /** Raw fd 1/2 output still belongs to this execution. */
  collecting: boolean;
  /** ctx.fetch relay, when the run is granted egress. */
  relay: EgressRelay | undefined;
  /** ctx.checkpoint relay, on job runs. */
  checkpoints: CheckpointRelay | undefined;
  resolve: (outcome: SandboxRunOutcome) => void;
}

type State = 'booting' | 'idle' | 'busy' | 'dead';

export class ChannelSandbox implements Sandbox {
  readonly id = `sb_${randomUUID()}`;
  readonly memoryMiB: number;
  readonly layers: readonly SecurityLayer[];
  private readonly child: LaunchedProcess;
  private readonly frames: Duplex;
  private readonly decoder = new FrameDecoder(FRAME_SLACK);
  private readonly loaded = new Set<string>();
  private readonly exitListeners: (() => void)[] = [];
  private readonly exited: Promise<void>;
  private state: State = 'booting';
  private killed = false;
  private exec: Execution | null = null;
  private bootStderr = '';
  private bootSettle: ((err?: Error) => void) | null = null;
  private exitFired = false;
  private readonly terminate: (() => boolean) | undefined;
  private promoteFn: (() => void) | undefined;
  private readonly bindFn: ((tenant: string) => Promise<void> | undefined) | undefined;
  private readonly oomKilled: (() => boolean) | undefined;
  /** destroy() was called: an execution cut short by it is reported as such, not as a crash. */
  private destroyRequested = false;
  private groupKillTimer: NodeJS.Timeout | undefined;

  /** Spawns nothing itself: wraps a started child and resolves once the harness is ready. */
  static start(opts: ChannelOptions): Promise<ChannelSandbox> {
    const sandbox = new ChannelSandbox(opts);
    return sandbox.booted(opts.bootTimeoutMs ?? 10_000).then(() => sandbox);
  }

  private constructor(opts: ChannelOptions) {
    this.child = opts.child;
    this.memoryMiB = opts.memoryMiB;
    this.layers = opts.layers;
    this.terminate = opts.terminate;
    this.promoteFn = opts.promote;
    this.bindFn = opts.bindTenant;
    this.oomKilled = opts.oomKilled;
    const { stdout, stderr } = opts.child;
    this.frames = opts.child.frames;
    stdout.on('data', (chunk: Buffer) => this.onOutput('stdout', chunk));
    stderr.on('data', (chunk: Buffer) => this.onOutput('stderr', chunk));
    this.frames.on('data', (chunk: Buffer) => this.onFrameData(chunk));
    for (const stream of [stdout, stderr, this.frames]) stream.on('error', () => {});
    // The harness answers ready only after this: see HelloFrame in runtime/protocol.ts.
    const hello = encodeFrame(`{"t":"hello","prewarm":${opts.prewarm !== false}}`);
    if (opts.beforeHello === undefined) this.frames.write(hello);
    else {
      opts.beforeHello().then(
        () => {
          if (!this.killed) this.frames.write(hello);
        },
        (err: unknown) => {
          this.bootStderr += `\n${err instanceof Error ? err.message : String(err)}`;
          this.kill();
        },
      );
    }
    this.exited = new Promise<void>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        void this.onProcessGone(opts.afterExit).then(resolve);
      };
      this.child.once('exit', finish);
      // A spawn failure (e.g. missing binary) emits 'error' and possibly never 'exit'.
      this.child.on('error', (err) => {
        this.bootStderr += `\n${err.message}`;
        if (this.child.pid === undefined || this.child.exitCode !== null) finish();
        else this.kill();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.killed && this.state !== 'dead' && this.state !== 'booting';
  }

  onExit(listener: () => void): void {
    if (this.exitFired) queueMicrotask(listener);
    else this.exitListeners.push(listener);
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
      return Promise.resolve(this.outcomeNow('killed', { type: 'SandboxUnavailable', message: 'the sandbox is no longer running' }));
    }
    if (this.exec !== null) {
      const error = { type: 'SandboxBusy', message: 'the sandbox is already running an execution' };
      return Promise.resolve({ ...this.outcomeNow('failed', error), reusable: true });
    }
    const sendCode = !this.loaded.has(req.version);
    const deadline = Date.now() + req.timeoutMs;
    const signalLead = Math.min(250, Math.max(1, Math.floor(req.timeoutMs / 10)));
    const body =
      `{"t":"run","id":${JSON.stringify(req.executionId)},"tenant":${JSON.stringify(req.tenant)},` +
      `"fn":{"name":${JSON.stringify(req.functionName)},"version":${JSON.stringify(req.version)}` +
      (sendCode ? `,"code":${JSON.stringify(req.code)}` : '') +
      `},"input":${req.inputJson === '' ? 'null' : req.inputJson},"deadline":${deadline},` +
      `"signalAt":${deadline - signalLead},"resultBytes":${req.resultBytes},"logBytes":${req.logBytes}` +
      (req.egress === undefined ? '' : `,"egress":{"requestBytes":${req.egress.limits.requestBytes}}`) +
      (req.checkpoint === undefined
        ? ''
        : `,"job":{"checkpointBytes":${req.checkpoint.maxBytes}` +
          (req.checkpoint.stateJson === undefined ? '' : `,"checkpoint":${req.checkpoint.stateJson}`) +
          '}') +
      '}';
    if (sendCode) this.loaded.add(req.version);
    this.decoder.maxBytes = Math.max(
      req.resultBytes + 2 * req.logBytes + FRAME_SLACK,
      req.egress === undefined ? 0 : fetchFrameCap(req.egress.limits),
      req.checkpoint === undefined ? 0 : checkpointFrameCap(req.checkpoint.maxBytes),
    );
    this.state = 'busy';
    return new Promise<SandboxRunOutcome>((resolve) => {
      this.exec = {
        req,
        collector: new LogCollector(req.logBytes),
        startedAt: performance.now(),
        timer: setTimeout(() => this.onDeadline(), req.timeoutMs),
        oomSeen: false,
        stderrTail: '',
        settled: false,
        collecting: true,
        relay: req.egress === undefined ? undefined : new EgressRelay(req.egress, (json) => this.sendFrame(json)),
        checkpoints:
          req.checkpoint === undefined ? undefined : new CheckpointRelay(req.checkpoint, (json) => this.sendFrame(json)),
        resolve,
      };
      this.frames.write(encodeFrame(body));
    });
  }

  private sendFrame(json: string): void {
    if (!this.killed) this.frames.write(encodeFrame(json));
  }

  // ------------------------------------------------------------------ boot

  private booted(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.bootSettle?.(new Error(`no ready frame within ${timeoutMs} ms`)), timeoutMs);
      this.bootSettle = (err) => {
        this.bootSettle = null;
        clearTimeout(timer);
        if (err === undefined) {
          this.state = 'idle';
          this.bootStderr = '';
          resolve();
          return;
        }
        this.kill();
        void this.exited.then(() => {
          const stderr = this.bootStderr.trim();
          reject(
            new AirlockError('SANDBOX_FAILED', `sandbox failed to boot: ${err.message}${stderr ? `; stderr: ${stderr}` : ''}`, {
              stderr,
            }),
          );
        });
      };
    });
  }

  // ------------------------------------------------------------------ inbound data

  private onOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (this.state === 'booting') {
      if (this.bootStderr.length < BOOT_STDERR_CAP) this.bootStderr += chunk.toString('utf8').slice(0, BOOT_STDERR_CAP);
      return;
    }
    const exec = this.exec;
    if (exec === null || !exec.collecting) return; // between executions: drained and dropped
    exec.collector.addRaw(stream, chunk);
    if (stream === 'stderr' && !exec.oomSeen && this.oomKilled === undefined) {
      const text = exec.stderrTail + chunk.toString('latin1');
      exec.oomSeen = V8_OOM.test(text);
      exec.stderrTail = text.slice(-128);
    }
  }

  private onFrameData(chunk: Buffer): void {
    if (this.killed) return;
    let bodies: Buffer[];
    try {
      bodies = this.decoder.push(chunk);
    } catch (err) {
      this.protocolError(err instanceof FrameError ? err.message : 'undecodable frame');
      return;
    }
    for (const body of bodies) {
      if (this.killed) return;
      this.onFrame(body);
    }
  }

  private onFrame(body: Buffer): void {
    const parsed = parseFrame(body);
    if (!parsed.ok) return this.protocolError(parsed.reason);
    const frame = parsed.value;
    if (this.state === 'booting') {
      if (frame.t === 'ready') this.bootSettle?.();
      else this.protocolError('expected a ready frame');
      return;
    }
    const exec = this.exec;
    if (frame.t === 'fetch') {
      if (exec === null || exec.settled || exec.relay === undefined) return this.protocolError('fetch frame outside a run granted egress');
      if (frame.id !== exec.req.executionId) return this.protocolError('fetch frame for another execution');
      const violation = exec.relay.handle(frame);
      return violation === undefined ? undefined : this.protocolError(violation);
    }
    if (frame.t === 'checkpoint') {
      if (exec === null || exec.settled || exec.checkpoints === undefined) return this.protocolError('checkpoint frame outside a job run');
      if (frame.id !== exec.req.executionId) return this.protocolError('checkpoint frame for another execution');
      const violation = exec.checkpoints.handle(frame, body.length);
      return violation === undefined ? undefined : this.protocolError(violation);
    }
    if (exec === null || exec.settled || frame.t !== 'done') return this.protocolError(`unsolicited ${frame.t} frame`);
    if (frame.id !== exec.req.executionId) return this.protocolError('done frame for another execution');
    exec.settled = true;
    exec.relay?.close();
    exec.checkpoints?.close();
    clearTimeout(exec.timer);
    const receivedAt = Date.now();
    const durationMs = performance.now() - exec.startedAt;
    const frameBytes = body.length;
    // Output the sandbox wrote before answering may still sit in the fd 1/2 buffers: let this
    // poll round read it, then complete.
    setImmediate(() => this.complete(exec, frame, receivedAt, durationMs, frameBytes));
  }

  private complete(exec: Execution, frame: DoneFrame, receivedAt: number, durationMs: number, frameBytes: number): void {
    exec.collecting = false;
    for (const [level, msg] of frame.logs) exec.collector.add(level, msg, receivedAt);
    if (frame.logsTruncated) exec.collector.markTruncated();
    let outcome: SandboxRunOutcome;
    if (!frame.ok) {
      outcome = { status: 'failed', error: boundedError(frame.error, escapeLogText), logs: [], durationMs, reusable: true };
    } else if (frame.result === undefined) {
      outcome = { status: 'succeeded', logs: [], durationMs, reusable: true };
    } else {
      outcome = this.checkResult(exec.req, frame.result, durationMs, frameBytes);
    }
    outcome.logs = exec.collector.finish();
    if (this.killed) outcome.reusable = false; // e.g. a bad frame arrived meanwhile
    this.endExecution(exec, outcome);
  }

  private checkResult(req: SandboxRunRequest, result: unknown, durationMs: number, frameBytes: number): SandboxRunOutcome {
    const maxDepth = req.maxResultDepth ?? DEFAULT_MAX_RESULT_DEPTH;
    if (exceedsDepth(result, maxDepth)) {
      const error = { type: 'ResultTooDeep', message: `the result nests deeper than ${maxDepth} levels; return a flatter structure` };
      return { status: 'failed', error, logs: [], durationMs, reusable: true };
    }
    // Re-serializing can lengthen JSON only through number tokens ("9e20" is 21 digits: x5.25),
    // so a frame under a sixth of the limit cannot carry an oversized result; measure the rest.
    const size =
      frameBytes * MAX_JSON_EXPANSION <= req.resultBytes ? frameBytes : Buffer.byteLength(JSON.stringify(result), 'utf8');
    if (size > req.resultBytes) {
      // An honest harness never sends this: the sandbox is not trusted any more.
      const error = {
        type: 'ResultTooLarge',
        message:
          `the result is ${size} bytes of JSON, above the limit of ${req.resultBytes} bytes; return less data ` +
          'or raise limits.resultBytes when deploying the function (up to the operator maximum)',
      };
      return { status: 'failed', error, logs: [], durationMs, reusable: false };
    }
    return { status: 'succeeded', result, logs: [], durationMs, reusable: true };
  }

  // ------------------------------------------------------------------ failures

  private onDeadline(): void {
    const exec = this.exec;
    if (exec === null || exec.settled) return;
    const ms = exec.req.timeoutMs;
    this.failExecution(exec, 'timeout', {
      type: 'Timeout',
      message: `the function did not finish within ${ms} ms (limits.timeoutMs); make it faster, watch ctx.signal, or raise limits.timeoutMs`,
    });
  }

  private protocolError(reason: string): void {
    if (this.state === 'booting') {
      this.bootSettle?.(new Error(`protocol error: ${reason}`));
      return;
    }
    const exec = this.exec;
    const error = { type: 'SandboxProtocolError', message: `the sandbox sent an invalid frame (${reason}) and was destroyed` };
    if (exec !== null && !exec.settled) this.failExecution(exec, 'killed', error);
    else this.kill();
  }

  /** Ends the execution with a non-reusable outcome and kills the sandbox. */
  private failExecution(exec: Execution, status: SandboxRunOutcome['status'], error: ExecutionError): void {
    exec.settled = true;
    exec.collecting = false;
    clearTimeout(exec.timer);
    this.kill();
    const durationMs = performance.now() - exec.startedAt;
    this.endExecution(exec, { status, error, logs: exec.collector.finish(), durationMs, reusable: false });
  }

  private endExecution(exec: Execution, outcome: SandboxRunOutcome): void {
    exec.relay?.close();
    exec.checkpoints?.close();
    if (this.exec === exec) this.exec = null;
    if (this.state === 'busy') this.state = 'idle';
    if (!outcome.reusable) this.kill();
    exec.resolve(outcome);
  }

  private outcomeNow(status: SandboxRunOutcome['status'], error: ExecutionError): SandboxRunOutcome {
    return { status, error, logs: [], durationMs: 0, reusable: false };
  }

  /** Kills the sandbox: the isolator's way if it has one, else (or as well, if that does not
   * end it promptly) SIGKILL to the whole process group (spawned detached: pgid = pid). */
  private kill(): void {
    if (this.killed) return;
    this.killed = true;
    let terminated = false;
    try {
      terminated = this.terminate?.() ?? false;
    } catch {
      terminated = false;
    }
    if (!terminated) return this.killGroup();
    this.groupKillTimer = setTimeout(() => this.killGroup(), GROUP_KILL_FALLBACK_MS);
    this.groupKillTimer.unref();
  }

  private killGroup(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is already gone
    }
  }

  private async onProcessGone(afterExit: (() => Promise<void>) | undefined): Promise<void> {
    // The leader is gone, but other members of its group may not be (bwrap's pid-1 init): the
    // group id stays reserved while any member lives, so this cannot hit an unrelated process.
    this.killed = true;
    clearTimeout(this.groupKillTimer);
    this.killGroup();
    const exec = this.exec;
    if (exec !== null && !exec.settled) {
      // Crashed mid-execution: read what is left of stderr (V8's OOM message) before deciding.
      const stderr = this.child.stderr;
      if (!stderr.readableEnded && !stderr.destroyed) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, STDERR_DRAIN_MS);
          stderr.once('close', () => (clearTimeout(t), resolve()));
        });
      }
      // With a cgroup, only the kernel's OOM event counts (stderr text is the tenant's to forge).
      if (this.oomKilled !== undefined) exec.oomSeen = this.oomKilled();
      if (!exec.settled) {
        const { exitCode, signalCode } = this.child;
        this.failExecution(
          exec,
          exec.oomSeen ? 'oom' : 'killed',
          exec.oomSeen
            ? {
                type: 'OutOfMemory',
                message: `the function ran out of memory (limit ${this.memoryMiB} MiB, limits.memoryMiB); use less memory or raise limits.memoryMiB`,
              }
            : this.destroyRequested
              ? {
                  type: 'SandboxDestroyed',
                  message: 'the host stopped the sandbox during the execution (the server is shutting down); retry the call',
                }
              : {
                  type: 'SandboxExited',
                  message: `the sandbox process exited during the execution (${signalCode ? `signal ${signalCode}` : `exit code ${exitCode}`})`,
                },
        );
      }
    }
    if (this.state === 'booting') this.bootSettle?.(new Error('the sandbox process exited during boot'));
    this.state = 'dead';
    for (const stream of [this.child.stdout, this.child.stderr, this.frames]) stream.destroy();
    if (afterExit !== undefined) await afterExit().catch(() => {});
    this.exitFired = true;
    const listeners = this.exitListeners.splice(0);
    for (const listener of listeners) {
      try {
        listener();
      } catch {
        // a listener's failure is not the sandbox's concern
      }
    }
  }
}
