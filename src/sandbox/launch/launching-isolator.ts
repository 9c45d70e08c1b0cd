// What both isolators share: their configuration, options and the launcher that forks their
// sandbox processes (the server passes a SpawnerLauncher; the default forks from this process).
import type { SandboxConfig } from '../../core/config.js';
import { DirectLauncher } from './direct.js';
import type { Launcher } from './types.js';

export interface LaunchingIsolatorOptions {
  /** Longest wait for a sandbox to report ready, ms (default 10 s). */
  bootTimeoutMs?: number;
  /** Starts sandbox processes (default: forks from this process). */
  launcher?: Launcher;
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
}
