// What both isolators share: their configuration, options, the launcher that forks their
// sandbox processes (the server passes a SpawnerLauncher; the default forks from this process),
// and the test sandbox their start check boots.
import type { SandboxConfig } from '../../core/config.js';
import { AirlockError } from '../../core/errors.js';
import type { ChannelOptions } from '../channel-options.js';
import type { IsolatorCheck, Sandbox, SpawnOptions } from '../port.js';
import { DirectLauncher } from './direct.js';
import type { Launcher } from './types.js';
import type { SandboxFrameReader } from '../../core/json-thread/parser.js';

export interface LaunchingIsolatorOptions {
  /** Longest wait for a sandbox to report ready, ms (default 10 s). */
  bootTimeoutMs?: number;
  /** Starts sandbox processes (default: forks from this process). */
  launcher?: Launcher;
  /** Reads sandboxes' large done frames off the event loop (default: read on it). */
  frameReader?: SandboxFrameReader;
}

export abstract class LaunchingIsolator<O extends LaunchingIsolatorOptions> {
  protected readonly config: SandboxConfig;
  protected readonly options: O;
  protected readonly launcher: Launcher;

  constructor(config: SandboxConfig, options: O) {
    this.config = config;
    this.options = options;
    this.launcher = options.launcher ?? new DirectLauncher();
  }

  close(): Promise<void> {
    return this.launcher.close();
  }

  /** What every channel sandbox this isolator starts gets alike: its boot limit, warm-up and frame reader. */
  protected channelSettings(opts: SpawnOptions): Pick<ChannelOptions, 'bootTimeoutMs' | 'warmup' | 'frameReader'> {
    return {
      bootTimeoutMs: this.options.bootTimeoutMs,
      warmup: opts.warmup ?? 'full',
      ...(this.options.frameReader === undefined ? {} : { frameReader: this.options.frameReader }),
    };
  }

  /**
   * Boots one test sandbox with `start`, forked from this process (not through the spawner, so
   * the program's own error output is never lost), answers the layers it had and destroys it. A
   * boot that fails is ISOLATION_UNAVAILABLE in the words of `describe`.
   */
  protected async bootTestSandbox(
    start: (launcher: Launcher) => Promise<Sandbox>,
    describe: (err: unknown) => string,
  ): Promise<IsolatorCheck> {
    let sandbox: Sandbox | undefined;
    try {
      sandbox = await start(new DirectLauncher());
      return { layers: [...sandbox.layers] };
    } catch (err) {
      throw new AirlockError('ISOLATION_UNAVAILABLE', describe(err));
    } finally {
      await sandbox?.destroy();
    }
  }
}
