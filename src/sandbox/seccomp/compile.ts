// Compiles the seccomp policy into a classic BPF program for one architecture. Shape:
//   1. a foreign architecture (i386 int 0x80, arm compat...) or ABI (x32) kills the process;
//   2. one check per syscall of the policy, in number order: allowed → ALLOW, errno rule →
//      ERRNO(e), argument rule → a small block that loads the argument and answers;
//   3. anything else → ERRNO(DEFAULT_ERRNO).
// Each check is `jeq nr, 0, <size of its block>` followed by its block, so every jump is short
// (classic BPF jumps reach at most 255 instructions) and the program reads top to bottom.
import { AirlockError } from '../../core/errors.js';
import { ARCHES } from './arch.js';
import type { Arch } from './arch.js';
import {
  BPF_JEQ,
  BPF_JSET,
  BPF_MAXINSNS,
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_KILL_PROCESS,
  argLow,
  encode,
  errno,
  jump,
  loadAbs,
  ret,
} from './bpf.js';
import type { Instruction } from './bpf.js';
import { ALLOWED, ARG_RULES, DEFAULT_ERRNO, DENIED, ERRNO_RULES } from './policy.js';
import type { ArgCondition, ArgRule, ErrnoRule, SyscallGroup } from './policy.js';

export interface Policy {
  allowed: readonly SyscallGroup[];
  argRules: readonly ArgRule[];
  errnoRules: readonly ErrnoRule[];
  denied: readonly SyscallGroup[];
  defaultErrno: number;
}

export const DEFAULT_POLICY: Policy = {
  allowed: ALLOWED,
  argRules: ARG_RULES,
  errnoRules: ERRNO_RULES,
  denied: DENIED,
  defaultErrno: DEFAULT_ERRNO,
};

export interface CompiledFilter {
  arch: Arch;
  program: Instruction[];
  /** struct sock_filter[] in host byte order, for bwrap --add-seccomp-fd. */
  bytes: Buffer;
  /** Syscall numbers allowed without conditions. */
  allowedCount: number;
}

type Entry = { nr: number; name: string; block: Instruction[] };

/** Instructions answering one argument rule; the accumulator is overwritten. */
function argBlock(cond: ArgCondition, deny: number): Instruction[] {
  const allow = ret(SECCOMP_RET_ALLOW);
  const refuse = ret(deny);
  const load = loadAbs(argLow(cond.arg));
  switch (cond.kind) {
    case 'noBits':
      // jset: any masked bit set → next (refuse), else skip it (allow).
      return [load, jump(BPF_JSET, cond.mask, 0, 1), refuse, allow];
    case 'oneOf': {
      // Value i matches → jump over the remaining compares and the refusal to ALLOW.
      const n = cond.values.length;
      return [load, ...cond.values.map((v, i) => jump(BPF_JEQ, v, n - i, 0)), refuse, allow];
    }
    case 'noneOf': {
      // Value i matches → jump to the refusal placed after ALLOW.
      const n = cond.values.length;
      return [load, ...cond.values.map((v, i) => jump(BPF_JEQ, v, n - i, 0)), allow, refuse];
    }
  }
}

/** Every syscall name the policy mentions, with where it is used (for validation). */
export function policyNames(policy: Policy): string[] {
  return [
    ...policy.allowed.flatMap((g) => g.syscalls),
    ...policy.argRules.map((r) => r.syscall),
    ...policy.errnoRules.map((r) => r.syscall),
    ...policy.denied.flatMap((g) => g.syscalls),
  ];
}

function invalid(message: string): AirlockError {
  return new AirlockError('INTERNAL', `seccomp policy: ${message}; fix src/sandbox/seccomp/policy.ts`);
}

export function compileFilter(arch: Arch, policy: Policy = DEFAULT_POLICY): CompiledFilter {
  const deny = errno(policy.defaultErrno);
  const seen = new Set<string>();
  for (const name of policyNames(policy)) {
    if (seen.has(name)) throw invalid(`${name} is listed twice`);
    seen.add(name);
    if (!ARCHES.some((a) => a.syscalls[name] !== undefined)) throw invalid(`${name} is not a syscall of any supported architecture`);
  }
  const entries: Entry[] = [];
  const add = (name: string, block: Instruction[]): void => {
    const nr = arch.syscalls[name];
    if (nr !== undefined) entries.push({ nr, name, block });
  };
  let allowedCount = 0;
  for (const name of policy.allowed.flatMap((g) => g.syscalls)) {
    const before = entries.length;
    add(name, [ret(SECCOMP_RET_ALLOW)]);
    allowedCount += entries.length - before;
  }
  for (const rule of policy.errnoRules) add(rule.syscall, [ret(errno(rule.errno))]);
  for (const rule of policy.argRules) add(rule.syscall, argBlock(rule.allowWhen, deny));
  entries.sort((a, b) => a.nr - b.nr);
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.nr === entries[i - 1]!.nr) throw invalid(`${entries[i]!.name} and ${entries[i - 1]!.name} share number ${entries[i]!.nr}`);
  }

  const program: Instruction[] = [
    loadAbs(SECCOMP_DATA_ARCH),
    jump(BPF_JEQ, arch.auditArch, 1, 0),
    ret(SECCOMP_RET_KILL_PROCESS),
    loadAbs(SECCOMP_DATA_NR),
  ];
  if (arch.foreignAbiBit !== undefined) {
    program.push(jump(BPF_JSET, arch.foreignAbiBit, 0, 1), ret(SECCOMP_RET_KILL_PROCESS));
  }
  for (const { nr, block } of entries) {
    if (block.length > 255) throw invalid(`the block for syscall ${nr} is too long`);
    program.push(jump(BPF_JEQ, nr, 0, block.length), ...block);
  }
  program.push(ret(deny));
  if (program.length > BPF_MAXINSNS) throw invalid(`${program.length} instructions exceed the kernel's ${BPF_MAXINSNS}`);
  return { arch, program, bytes: encode(program), allowedCount };
}
