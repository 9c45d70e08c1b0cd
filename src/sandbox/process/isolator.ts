// The process isolator: DEVELOPMENT ONLY, no isolation at all. It runs the harness as a plain
// child process of the server (same uid, same filesystem, same network), with an empty
// environment, the fd 3 frame channel and a per-sandbox temp dir for code, removed on destroy.
// It exists so Airlock can run where bubblewrap cannot; executions record isolation 'none'.
// Its check boots one test sandbox, so a sandbox node that is not a Node.js able to run the
// harness is refused at start rather than on the first call.
// A deploy's parse check (parseModule) is likewise a plain child process, without any isolation.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxConfig } from '../../core/config.js';
import { AirlockError } from '../../core/errors.js';
import { ChannelSandbox } from '../channel.js';
import { resolveExecutable } from '../executables.js';
import { checkSandboxNode, describeNodeExit } from '../sandbox-node.js';
import type { Launcher } from '../launch/types.js';
import { BACKGROUND_NICE, canPromote, promoteProcess } from '../priority.js';
import { LaunchingIsolator } from '../launch/launching-isolator.js';
import type { LaunchingIsolatorOptions } from '../launch/launching-isolator.js';
import { PARSE_CHECK_NODE_FLAGS, parseCheckUrl, runParseCheck } from '../parse-check.js';
import type { Isolator, IsolatorCheck, ModuleParseError, ModuleParseRequest, Sandbox, SpawnOptions } from '../port.js';

const harnessPath = fileURLToPath(new URL('../../runtime/harness.cjs', import.meta.url));
const parseCheckPath = fileURLToPath(parseCheckUrl);

export type ProcessIsolatorOptions = LaunchingIsolatorOptions;

export class ProcessIsolator extends LaunchingIsolator<ProcessIsolatorOptions> implements Isolator {
  readonly name = 'process' as const;
  readonly isolation = 'none';

  constructor(config: SandboxConfig, options: ProcessIsolatorOptions = {}) {
    super(config, options);
  }

  async check(): Promise<IsolatorCheck> {
    // Nothing to attest: this isolator isolates nothing (the server warns loudly about it). Its
    // node must run the harness, though, or no sandbox would ever start.
    checkSandboxNode(this.config);
    return this.bootTestSandbox(
      (launcher) => this.start({ memoryMiB: 64, warmup: 'none' }, launcher),
      (err) => describeNodeExit(err, this.config) ?? `a test sandbox did not start: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  spawn(opts: SpawnOptions): Promise<Sandbox> {
    return this.start(opts, this.launcher);
  }

  private async start(opts: SpawnOptions, launcher: Launcher): Promise<Sandbox> {
    const codeDir = await mkdtemp(join(tmpdir(), 'airlock-sandbox-'));
    const memory = `--max-old-space-size=${Math.max(1, Math.floor(opts.memoryMiB))}`;
    const nicePath = opts.background === true && canPromote() ? resolveExecutable('nice') : undefined;
    let child;
    try {
      child = await launcher.launch({
        ...(nicePath === undefined ? {} : { nice: { value: BACKGROUND_NICE, nicePath } }),
        file: this.config.nodePath,
        args: [memory, harnessPath, codeDir],
        cwd: codeDir,
        pipes: 4,
        inputs: [],
        collect: [],
      });
    } catch (err) {
      await rm(codeDir, { recursive: true, force: true });
      throw err;
    }
    return ChannelSandbox.start({
      layers: [],
      child,
      memoryMiB: opts.memoryMiB,
      ...this.channelSettings(opts),
      ...(nicePath === undefined ? {} : { promote: () => child.pid !== undefined && promoteProcess(child.pid) }),
      afterExit: () => rm(codeDir, { recursive: true, force: true }),
    });
  }

  async parseModule(req: ModuleParseRequest): Promise<ModuleParseError | undefined> {
    let child;
    try {
      child = await this.launcher.launch({
        file: this.config.nodePath,
        args: [`--max-old-space-size=${Math.max(1, Math.floor(req.memoryMiB))}`, ...PARSE_CHECK_NODE_FLAGS, parseCheckPath],
        cwd: tmpdir(),
        pipes: 4,
        inputs: [],
        collect: [],
      });
    } catch (err) {
      throw new AirlockError(
        'SYNTAX_CHECK_FAILED',
        `the deploy-time syntax check could not start (${err instanceof Error ? err.message : String(err)}); the function was not deployed`,
      );
    }
    return runParseCheck({ child, layers: [] }, req);
  }
}
