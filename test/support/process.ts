// Runs the real `airlock` CLI as a child process: the server (parsing its banner for the URL),
// client commands and the example the banner prints. Also lists a process tree, to prove no
// sandbox outlives the server.
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readProcStat } from '../../src/sandbox/procfs.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the output once it matches `pattern` (it is read from a pipe: a line may lag its cause); fails after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then resolves with the exit code. */
  stop(): Promise<number | null>;
}

let servers = 0;

/**
 * Starts `airlock server` with only PATH plus `env`; `prefix` (a command and its arguments that
 * ends by exec'ing the rest, e.g. `unshare … sh -c '… exec "$@"'`) runs it inside another setup,
 * keeping the server's pid.
 */
export function startServerProcess(env: Record<string, string>, timeoutMs = 20_000, prefix: readonly string[] = []): Promise<ServerProcess> {
  const argv = [...prefix, process.execPath, CLI, 'server'];
  const child = spawn(argv[0]!, argv.slice(1), {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AIRLOCK_PORT: '0',
      AIRLOCK_LOG_LEVEL: 'warn',
      // A cgroup root per server: servers of concurrent test files never sweep each other's groups.
      AIRLOCK_CGROUP_ROOT: `airlock-proc-${process.pid}-${++servers}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // a server that hangs at start must not outlive the test file
      reject(new Error(`server did not start in time:\n${out}`));
    }, timeoutMs);
    const onData = (): void => {
      // The banner's line, or with AIRLOCK_BANNER=off the JSON log line {"url":…,"msg":"listening"}.
      const m = /listening on (http:\/\/\S+)/.exec(out) ?? /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        child,
        url: m[1]!,
        output: () => out,
        waitForOutput: async (pattern, waitMs = 10_000) => {
          const deadline = Date.now() + waitMs;
          while (!pattern.test(out)) {
            if (Date.now() > deadline) assert.fail(`the server did not print ${pattern} within ${waitMs} ms; it printed:\n${out}`);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          return out;
        },
        stop: async () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
}

/**
 * Starts a server that must refuse to start (run by `prefix`, as startServerProcess); resolves
 * with what it printed (the rejection's message). One that starts after all is stopped, and the
 * call fails.
 */
export async function expectStartRefused(env: Record<string, string>, prefix: readonly string[] = []): Promise<string> {
  let started: ServerProcess;
  try {
    started = await startServerProcess(env, 20_000, prefix);
  } catch (err) {
    return (err as Error).message;
  }
  await started.stop();
  return assert.fail(`the server started (at ${started.url}) but should have refused:\n${started.output()}`);
}

/** Runs the CLI to completion; `input`, when given, is its whole stdin (else stdin stays an open pipe). */
export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<Finished> {
  return runToEnd(process.execPath, [CLI, ...args], env, undefined, input);
}

interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `file` with only PATH plus `env` set (in `cwd` if given, `input` as its stdin if given), within 30 s; never rejects. */
function runToEnd(file: string, args: string[], env: Record<string, string>, cwd?: string, input?: string): Promise<Finished> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/**
 * Runs the copy-paste example a server printed under "Try it", line by line as printed, with
 * bash in `cwd` and only PATH plus `env` set. `npx airlock` runs this checkout's CLI instead
 * (npx would look the name up in the registry).
 */
export function runPrintedExample(output: string, cwd: string, env: Record<string, string>): Promise<Finished> {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => line.startsWith('Try it'));
  assert.ok(start >= 0, `no example in the server's output:\n${output}`);
  const example: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('  ')) break;
    example.push(line.slice(2).replaceAll('npx airlock', `"${process.execPath}" "${CLI}"`));
  }
  return runToEnd('bash', ['-c', ['set -e', ...example].join('\n')], env, cwd);
}

/**
 * Start times (in clock ticks since boot) of the processes descendants() found: with pid_max at
 * 32768 and a test suite spawning thousands of processes, a pid can belong to another process
 * seconds later, so alive() compares them.
 */
const startTimes = new Map<number, number>();

/** Pids of every live descendant of `root` (from /proc). */
export function descendants(root: number): number[] {
  const stats = new Map<number, { ppid: number; startTime: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry)); // undefined: exited while scanning
    if (stat !== undefined) stats.set(Number(entry), stat);
  }
  const out: number[] = [];
  for (const [pid, stat] of stats) {
    let p: number | undefined = stat.ppid;
    for (let hops = 0; p !== undefined && p > 1 && hops < 64; hops++) {
      if (p === root) {
        out.push(pid);
        startTimes.set(pid, stat.startTime);
        break;
      }
      p = stats.get(p)?.ppid;
    }
  }
  return out;
}

/** True while the process lives (a zombie does not count), and, for a pid descendants() found, while it is that same process. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readProcStat(pid);
  if (stat === undefined || stat.state === 'Z') return false;
  const started = startTimes.get(pid);
  return started === undefined || started === stat.startTime;
}

/** One JSON call to a server process's API with `key`; fails the test on a non-2xx answer. */
export async function apiCall<T>(url: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const data = (await res.json()) as T;
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}
