// What an isolator hands the channel sandbox (channel.ts) for one spawned harness process: the
// process, its memory size and layers in force, and the isolator's hooks around boot, binding,
// out-of-memory verdicts, exit and termination.
import type { SecurityLayer } from '../core/types.js';
import type { SandboxFrameReader } from '../core/json-thread/parser.js';
import type { Warmup } from '../runtime/protocol.js';
import type { LaunchedProcess } from './launch/types.js';

export interface ChannelOptions {
  child: LaunchedProcess;
  memoryMiB: number;
  /** Isolation layers the isolator put in force for this process. */
  layers: readonly SecurityLayer[];
  /** Longest wait for the harness's ready frame, ms. */
  bootTimeoutMs?: number;
  /** Reads large done frames on the server's parser thread (frame-reads.ts); unset: on the event loop. */
  frameReader?: SandboxFrameReader;
  /** What the harness warms up before ready (default `full`; see Warmup). */
  warmup?: Warmup;
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
   * given, the kernel decides the `oom` status (with memoryPeakBytes, see ranOutOfMemory); without
   * it, V8's fatal message on stderr does.
   */
  oomKilled?: () => boolean;
  /** The most memory the kernel saw the sandbox use, bytes (its cgroup's peak), if accounted. */
  memoryPeakBytes?: () => number | undefined;
  /** CPU time the sandbox's processes have used, ns (its cgroup's counter), if accounted. */
  cpuUsageNs?: () => number | undefined;
  /** The kernel's memory limit of the sandbox (its cgroup's ceiling), bytes, if it has one. */
  memoryCeilingBytes?: number;
  /** Runs once after the process exited, before destroy() resolves and onExit fires. */
  afterExit?: () => Promise<void>;
  /**
   * The isolator's preferred kill; returns false when it could not act. The process group is
   * SIGKILLed anyway if the process has not exited shortly after.
   */
  terminate?: () => boolean;
}
