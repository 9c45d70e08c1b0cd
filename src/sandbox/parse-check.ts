// Host side of the deploy-time parse check, shared by both isolators (Isolator.parseModule): given
// a started check sandbox (runtime/parse-check.cts), it puts the sandbox in place (its cgroup),
// sends the module, reads the one-line answer and ends the sandbox, whose processes are all gone
// before the verdict is returned. The answer is as hostile as any frame: capped, shape-checked
// and timed. Anything but a well-formed verdict (no start, no answer, a crash, a timeout, a
// malformed or oversized answer, a missing layer) is SYNTAX_CHECK_FAILED: fail closed, the
// deploy is refused, never let through unchecked.
import { AirlockError } from '../core/errors.js';
import type { SecurityLayer } from '../core/types.js';
import { GroupKill } from './group-kill.js';
import type { LaunchedProcess } from './launch/types.js';
import type { ModuleParseError, ModuleParseRequest } from './port.js';

/** The program the check sandbox runs, beside the harness in dist/src/runtime. */
export const parseCheckUrl = new URL('../runtime/parse-check.cjs', import.meta.url);

/** Node flags of the check program: vm.SourceTextModule is behind a flag in Node 20. */
export const PARSE_CHECK_NODE_FLAGS = ['--experimental-vm-modules', '--no-warnings'] as const;

/** Largest answer line accepted, bytes (the program caps its message at 1 KiB and its arrow at ~2 KiB). */
const ANSWER_CAP = 8 * 1024;
const MESSAGE_CAP = 1100;
const STACK_CAP = 4096;
/** Output the check sandbox's stderr may contribute to a failure message, characters. */
const STDERR_CAP = 2048;

export interface ParseCheckProcess {
  child: LaunchedProcess;
  /** Layers in force for this process; checked against req.requiredLayers before the code is sent. */
  layers: readonly SecurityLayer[];
  /** Runs before the code is sent (e.g. placing the processes in their cgroup); a rejection fails the check. */
  beforeSend?: () => Promise<void>;
  /** The isolator's preferred kill (see GroupKill); the process group is killed anyway. */
  terminate?: () => boolean;
  /** Runs once the process exited (waits for the namespace to be gone, removes the cgroup). */
  afterExit?: () => Promise<void>;
}

function failed(why: string): AirlockError {
  return new AirlockError(
    'SYNTAX_CHECK_FAILED',
    `the deploy-time syntax check could not finish (${why}); the function was not deployed. ` +
      'Deploy it again; if this keeps happening, run `airlock doctor` and report it with the server log',
  );
}

/** The verdict in an answer line, or a description of what is wrong with it. */
export function readAnswer(line: string): { error: ModuleParseError | undefined } | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { invalid: 'its answer is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { invalid: 'its answer is not an object' };
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'ok' && (value as { ok: unknown }).ok === true) return { error: undefined };
  if (keys.length !== 1 || keys[0] !== 'error') return { invalid: 'its answer has unexpected fields' };
  const error = (value as { error: unknown }).error;
  if (typeof error !== 'object' || error === null || Array.isArray(error)) return { invalid: 'its error is not an object' };
  const { name, message, stack } = error as Record<string, unknown>;
  if (Object.keys(error).length !== 3 || (name !== 'SyntaxError' && name !== 'RangeError')) {
    return { invalid: 'its error is not a SyntaxError or RangeError' };
  }
  if (typeof message !== 'string' || message.length > MESSAGE_CAP || typeof stack !== 'string' || stack.length > STACK_CAP) {
    return { invalid: 'its error has a malformed message or stack' };
  }
  return { error: { name, message, stack } };
}

/** Runs the check on a started sandbox; always ends it. Rejects with SYNTAX_CHECK_FAILED. */
export async function runParseCheck(proc: ParseCheckProcess, req: ModuleParseRequest): Promise<ModuleParseError | undefined> {
  const { child } = proc;
  const killer = new GroupKill(() => child.pid, proc.terminate);
  let stderr = '';
  type Outcome = { error: ModuleParseError | undefined } | { failure: string };
  let done = false;
  let settle!: (outcome: Outcome) => void;
  const outcome = new Promise<Outcome>((resolve) => {
    settle = (o) => {
      if (done) return;
      done = true;
      resolve(o);
    };
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.on('error', (err) => {
      stderr += `\n${err.message}`;
      if (child.pid === undefined || child.exitCode !== null) resolve();
    });
  });
  const framesClosed = new Promise<void>((resolve) => child.frames.once('close', () => resolve()));
  const timer = setTimeout(() => settle({ failure: `no answer within ${req.timeoutMs} ms` }), req.timeoutMs);
  child.stdout.resume();
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_CAP) stderr += chunk.toString('utf8').slice(0, STDERR_CAP - stderr.length);
  });
  for (const stream of [child.stdout, child.stderr, child.frames]) stream.on('error', () => {});
  let answer = '';
  child.frames.on('data', (chunk: Buffer) => {
    if (done) return;
    answer += chunk.toString('latin1');
    const end = answer.indexOf('\n');
    if (end < 0) {
      if (answer.length > ANSWER_CAP) settle({ failure: `its answer is over ${ANSWER_CAP} bytes` });
      return;
    }
    if (end > ANSWER_CAP) return settle({ failure: `its answer is over ${ANSWER_CAP} bytes` });
    const read = readAnswer(Buffer.from(answer.slice(0, end), 'latin1').toString('utf8'));
    settle('invalid' in read ? { failure: read.invalid } : read);
  });
  // The answer may still be in the socket when the exit is reported: wait for both.
  void Promise.all([exited, framesClosed]).then(() => settle({ failure: `the check sandbox exited without an answer${describeExit(child)}` }));

  const missing = (req.requiredLayers ?? []).filter((layer) => !proc.layers.includes(layer));
  if (missing.length > 0) settle({ failure: `the check sandbox started without required isolation layer(s) ${missing.join(', ')}` });
  else {
    (proc.beforeSend ?? (async () => {}))().then(
      () => {
        if (done) return;
        const body = Buffer.from(req.code, 'utf8');
        const head = Buffer.alloc(4);
        head.writeUInt32BE(body.length, 0);
        child.frames.write(Buffer.concat([head, body]));
      },
      (err: unknown) => settle({ failure: err instanceof Error ? err.message : String(err) }),
    );
  }

  const result = await outcome;
  clearTimeout(timer);
  // Whatever happened, the sandbox ends now, and is gone (namespace, cgroup) before we answer.
  killer.kill();
  await exited;
  killer.leaderExited();
  await proc.afterExit?.().catch(() => {});
  if ('failure' in result) {
    const output = stderr.trim();
    throw failed(`${result.failure}${output === '' ? '' : `; its output: ${output}`}`);
  }
  return result.error;
}

function describeExit(child: LaunchedProcess): string {
  if (child.signalCode !== null) return ` (killed by ${child.signalCode})`;
  if (child.exitCode !== null) return ` (exit code ${child.exitCode})`;
  return '';
}
