// The architectures the seccomp filter supports: their audit identifiers (what the kernel puts
// in seccomp_data.arch), their syscall tables, and how Node names them (process.arch).
import { AARCH64_SYSCALLS } from './syscalls-aarch64.js';
import { X86_64_SYSCALLS } from './syscalls-x86_64.js';

export type ArchName = 'x86_64' | 'aarch64';

export interface Arch {
  name: ArchName;
  /** AUDIT_ARCH_* value: EM_* | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE (linux/audit.h). */
  auditArch: number;
  syscalls: Readonly<Record<string, number>>;
  /**
   * Bit that marks another ABI sharing this architecture's audit value (x86_64's x32 ABI sets
   * 0x40000000 in the syscall number); such calls are killed.
   */
  foreignAbiBit?: number;
}

export const X86_64: Arch = {
  name: 'x86_64',
  auditArch: 0xc000003e,
  syscalls: X86_64_SYSCALLS,
  foreignAbiBit: 0x40000000,
};

export const AARCH64: Arch = {
  name: 'aarch64',
  auditArch: 0xc00000b7,
  syscalls: AARCH64_SYSCALLS,
};

export const ARCHES: readonly Arch[] = [X86_64, AARCH64];

/** The filter's architecture for a Node `process.arch` value, if supported. */
export function archFor(nodeArch: string): Arch | undefined {
  if (nodeArch === 'x64') return X86_64;
  if (nodeArch === 'arm64') return AARCH64;
  return undefined;
}
