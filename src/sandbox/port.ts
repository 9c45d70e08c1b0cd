// The isolator port: how the host starts a sandbox process and runs one execution in it, and
// how it has V8 parse a module at deploy in a sandbox of its own (parseModule). Implementations: `bwrap/` (kernel namespaces, the default) and `process/` (no isolation,
// development only). Both pass the same conformance suite in test/sandbox/.
import type { IsolatorName } from '../core/config.js';
import type { ExecutionError, ExecutionStatus, LogLine, SecurityLayer } from '../core/types.js';
import type { EgressSession } from '../egress/types.js';
import type { JobInfo, Warmup } from '../runtime/protocol.js';

export interface SandboxRunRequest {
  executionId: string;
  tenant: string;
  functionName: string;
  /** Content hash of the function version; a sandbox loads each version's code once. */
  version: string;
  /** JavaScript ESM source of the function (already type-stripped). */
  code: string;
  /** The input, already serialized to JSON and size-checked by the caller. */
  inputJson: string;
  timeoutMs: number;
  /** What `timeoutMs` is, as a timeout's message names it; default "limits.timeoutMs". */
  timeoutName?: string;
  resultBytes: number;
  logBytes: number;
  /** Deepest accepted nesting of the result (default 256, like inputs). */
  maxResultDepth?: number;
  /** The execution's egress session when the function is granted egress (ctx.fetch). */
  egress?: EgressSession;
  /** Only on job runs: where ctx.checkpoint.save stores state (see CheckpointSink). */
  checkpoint?: CheckpointSink;
  /** Only on job runs: the values of ctx.job (sent to the sandbox as they are: nothing secret). */
  job?: JobInfo;
  /**
   * Called once when the run starts, with a reader of its log lines so far (job runs: a running
   * job shows its slice's logs before the slice ends).
   */
  watch?: (logsSoFar: () => LogLine[]) => void;
  /**
   * When the run has to wait behind another run in the sandbox (see Sandbox.run), the host takes
   * it back if it has not started after this long, ms: the run answers `notStarted` and the
   * sandbox stays usable. (If the sandbox started it meanwhile, its answer is discarded.)
   */
  maxQueueWaitMs?: number;
}

/** The host side of ctx.checkpoint for one job run. */
export interface CheckpointSink {
  /** The last saved state as JSON text (handed to the run as ctx.checkpoint.get()); absent when none. */
  stateJson?: string;
  /** Largest state accepted, bytes of JSON. */
  maxBytes: number;
  /**
   * Stores `state` durably with the run's fencing token and resolves with the time it was stored.
   * Rejects with an AirlockError (LEASE_LOST, CHECKPOINT_TOO_LARGE) and stores nothing otherwise.
   */
  save(state: unknown): Promise<number>;
}

export interface SandboxRunOutcome {
  /** Never 'rejected': rejection happens before a sandbox is involved. */
  status: Exclude<ExecutionStatus, 'rejected'>;
  result?: unknown;
  /**
   * `result` as JSON text (JSON.stringify of it), made once when the result was checked so that
   * the record and the answer do not serialize a large result again on the event loop. Whoever
   * changes `result` removes it.
   */
  resultJson?: string;
  error?: ExecutionError;
  /** Captured, capped and escaped by the host. */
  logs: LogLine[];
  /** Measured by the host, from sending the run frame to receiving the answer (or the kill). */
  durationMs: number;
  /** False when the sandbox must be destroyed (timeout, crash, malformed frame, broken limit). */
  reusable: boolean;
  /**
   * The run never started (as far as anyone will hear): it was queued behind another run and the
   * sandbox ended first, or the host took it back after maxQueueWaitMs (then `reusable` is true).
   * The caller may run it again in another sandbox.
   */
  notStarted?: boolean;
  /** How the sandbox process exited, when it ended during the run (killed, oom): for the server log. */
  exit?: { code: number | null; signal: string | null };
}

export interface Sandbox {
  readonly id: string;
  /** Host pid of the outermost sandbox process (bwrap, or node for the process isolator). */
  readonly pid: number | undefined;
  /** V8 heap ceiling the sandbox was started with, MiB. */
  readonly memoryMiB: number;
  /** Isolation layers in force for this sandbox, recorded on every execution it runs. */
  readonly layers: readonly SecurityLayer[];
  readonly alive: boolean;
  /**
   * Runs one execution. Never rejects: every failure is an outcome. Runs go one at a time: a run
   * requested while another is in progress is sent at once and starts (its deadline too) when
   * the one before has answered. If the sandbox ends first, it answers `notStarted`.
   */
  run(req: SandboxRunRequest): Promise<SandboxRunOutcome>;
  /** Runs requested and not answered yet: the one in progress and those queued behind it. */
  readonly pending: number;
  /** How long the run in progress has been going, ms (0 when none). */
  readonly currentRunMs: number;
  /** Moving average of this sandbox's run durations, ms; undefined before its first answer. */
  readonly averageRunMs: number | undefined;
  /** CPU time the sandbox's processes have used, ns (its cgroup's counter); undefined without one. */
  cpuUsageNs(): number | undefined;
  /** Kills the sandbox (whole process group) and resolves once it has exited. Idempotent. */
  destroy(): Promise<void>;
  /** Called once when the sandbox process exits for any reason. */
  onExit(listener: () => void): void;
  /** Raises a sandbox booted in the background to normal CPU priority; no-op otherwise. */
  promote(): void;
  /**
   * Called once, when the pool binds a blank sandbox to a tenant: moves it under the tenant's
   * cgroup (no-op without cgroups). The sandbox's own limits are in force from its start, so the
   * pool does not wait: the move (which may wait on the kernel for milliseconds) completes off
   * the event loop while the first call runs. If it fails, the sandbox destroys itself (fail
   * closed) and the promise rejects with the AirlockError.
   */
  bindTenant(tenant: string): Promise<void>;
}

export interface SpawnOptions {
  memoryMiB: number;
  /**
   * What the harness warms up before reporting ready (default `full`; see Warmup in
   * runtime/protocol.ts). The pool asks for `full` for blank sandboxes and `loader` for a sandbox
   * spawned for a waiting call: either way the module loader's one-time cost is paid before the
   * run's time limit starts, not billed to the tenant's function (whose first run would
   * otherwise count it).
   */
  warmup?: Warmup;
  /**
   * Boot at low CPU priority (blank pool refills), so the boot yields to calls in flight;
   * the pool calls promote() once the sandbox is ready. Ignored when not running as root.
   */
  background?: boolean;
  /**
   * The tenant the sandbox is spawned for, when a call of that tenant is already waiting for
   * it: its cgroup is created under the tenant's group at once, so it never has to move there
   * (a move can stall forks system-wide for an RCU grace period). Blank sandboxes have none.
   */
  tenant?: string;
}

/** A deploy's V8 parse of a module (Isolator.parseModule). */
export interface ModuleParseRequest {
  /** The JavaScript the harness would load (already type-stripped). */
  code: string;
  /** The deploying tenant: with cgroups, the check sandbox is placed under its group. */
  tenant: string;
  /** V8 heap of the check sandbox, MiB (with cgroups, its memory ceiling is this plus Node's overhead). */
  memoryMiB: number;
  /** Longest the whole check may take, start included, ms: then the sandbox is killed and the check fails. */
  timeoutMs: number;
  /** Layers the check sandbox must have before it is sent the code; without one, the check fails. */
  requiredLayers?: readonly SecurityLayer[];
}

/** V8's refusal of a module, as the check sandbox reported it (validated and capped by the host). */
export interface ModuleParseError {
  /** RangeError: the module nests too deeply for V8's parser. */
  name: 'SyntaxError' | 'RangeError';
  message: string;
  /**
   * The head of the stack that `displayErrors` decorated: `function.js:<line>`, an empty line
   * (where V8 shows the source line), the underline and a blank line; '' when V8 gave no position.
   */
  stack: string;
}

export interface IsolatorCheck {
  /** Layers in force in the test sandbox check() started (attestation reads these). */
  layers: readonly SecurityLayer[];
}

export interface Isolator {
  readonly name: IsolatorName;
  /** Recorded on every execution: 'bwrap' or 'none'. */
  readonly isolation: string;
  /**
   * Verifies the isolator can run on this machine (binary present, namespaces allowed, a
   * sandbox boots) and returns the layers that test sandbox really had in force.
   * Throws AirlockError('ISOLATION_UNAVAILABLE') saying how to fix it.
   */
  check(): Promise<IsolatorCheck>;
  /** Starts a blank sandbox and resolves when its harness reports ready. */
  spawn(opts: SpawnOptions): Promise<Sandbox>;
  /**
   * Has V8 compile `code` as an ES module (never linked or run) in a sandbox started for this one
   * parse, with this isolator's layers, and ended before the promise settles. Resolves V8's error,
   * or undefined when the module compiles. Rejects with AirlockError('SYNTAX_CHECK_FAILED') when
   * no verdict came (the sandbox could not start, timed out, or answered out of protocol).
   */
  parseModule(req: ModuleParseRequest): Promise<ModuleParseError | undefined>;
  /** Releases what the isolator holds (e.g. its spawner process). Sandboxes are destroyed first. */
  close(): Promise<void>;
}
