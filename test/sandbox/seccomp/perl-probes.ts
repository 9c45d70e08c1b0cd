// Raw-syscall probes for the real-kernel seccomp tests. Tenant code running in a real bwrap
// sandbox starts /usr/bin/perl (perl-base, on every Debian machine; /usr is bound read-only into
// the sandbox) once per probe; perl's syscall() makes the raw call and prints `R<return value>`
// or `E<errno>`. A probe killed by a signal reports `S<signal name>`. Numbers come from the
// filter's own table for the host architecture.
import assert from 'node:assert/strict';
import { archFor } from '../../../src/sandbox/seccomp/arch.js';
import type { Arch } from '../../../src/sandbox/seccomp/arch.js';
import type { Sandbox } from '../../../src/sandbox/port.js';
import { request } from '../support.js';

export function hostArch(): Arch {
  const arch = archFor(process.arch);
  assert.ok(arch !== undefined, `the seccomp filter supports ${process.arch}`);
  return arch;
}

/** A perl expression for one argument: a number (or bigint) as an integer, a string as a pointer to it. */
export type PerlArg = number | bigint | { buffer: number } | { text: string };

function perlArg(arg: PerlArg): string {
  if (typeof arg === 'number' || typeof arg === 'bigint') return String(arg);
  if ('buffer' in arg) return `("\\0" x ${arg.buffer})`;
  return JSON.stringify(arg.text); // a perl double-quoted string (paths only, no $ or @)
}

/**
 * A perl program making syscall `name` with `args`. Buffers are lexicals, so perl passes a
 * pointer to writable memory. A raw clone that forks returns 0 in the child, which exits quietly.
 */
export function syscallScript(arch: Arch, name: string | number, args: readonly PerlArg[] = []): string {
  const nr = typeof name === 'number' ? name : arch.syscalls[name];
  assert.ok(nr !== undefined, `${String(name)} exists on ${arch.name}`);
  const decls = args.map((a, i) => `my $a${i} = ${perlArg(a)};`).join(' ');
  const list = args.map((_, i) => `, $a${i}`).join('');
  return `${decls} my $r = syscall(${nr}${list}); if ($r == 0 && $$ != $PID0) { exit 0 } ` +
    `if ($r > 0 && ${JSON.stringify(String(name))} eq "clone") { waitpid($r, 0) } ` +
    `print($r == -1 ? "E" . ($! + 0) : "R$r");`;
}

/** The tenant module: runs every probe in its own perl process and returns name → outcome. */
const PROBE_MODULE = `import { execFileSync } from 'node:child_process';
export default async (input) => {
  const out = {};
  for (const [name, script] of Object.entries(input.probes)) {
    try {
      out[name] = execFileSync('/usr/bin/perl', ['-e', 'my $PID0 = $$; ' + script], { encoding: 'utf8', timeout: 10000 });
    } catch (e) {
      out[name] = e.signal ? 'S' + e.signal : 'X' + String(e.status) + ':' + String(e.stderr).slice(0, 200);
    }
  }
  return out;
};`;

/** Runs the probes in `sandbox`; returns each probe's `R…`, `E…`, `S…` (or `X…` on a perl error). */
export async function runProbes(sandbox: Sandbox, probes: Record<string, string>): Promise<Record<string, string>> {
  const outcome = await sandbox.run(request(PROBE_MODULE, { input: { probes }, timeoutMs: 60_000 }));
  assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error ?? outcome.logs));
  return outcome.result as Record<string, string>;
}
