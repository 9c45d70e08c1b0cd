// Classic BPF as seccomp uses it: the few opcodes the filter compiler emits, the seccomp return
// values, the layout of `struct seccomp_data`, and the encoder that turns instructions into the
// `struct sock_filter[]` bytes the kernel (and bwrap's --add-seccomp-fd) expects: 8 bytes per
// instruction { u16 code; u8 jt; u8 jf; u32 k } in host byte order.
import { endianness } from 'node:os';

export interface Instruction {
  code: number;
  /** Instructions to skip when a conditional jump is taken (0..255). */
  jt: number;
  /** Instructions to skip when it is not taken (0..255). */
  jf: number;
  k: number;
}

// Opcode parts (linux/bpf_common.h).
export const BPF_LD = 0x00;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_JEQ = 0x10;
export const BPF_JSET = 0x40;
export const BPF_K = 0x00;

// Filter results (linux/seccomp.h). ERRNO carries the errno in its low 16 bits.
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

// struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const SECCOMP_DATA_ARGS = 16;
/** The kernel refuses longer programs (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/**
 * Offset of the low 32 bits of syscall argument `index` in seccomp_data. Both supported
 * architectures are little-endian, so the low half comes first.
 */
export function argLow(index: number): number {
  if (!Number.isInteger(index) || index < 0 || index > 5) throw new RangeError(`no syscall argument ${index}`);
  return SECCOMP_DATA_ARGS + 8 * index;
}

export function loadAbs(offset: number): Instruction {
  return { code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: offset };
}

export function jump(op: number, k: number, jt: number, jf: number): Instruction {
  return { code: BPF_JMP | op | BPF_K, jt, jf, k: k >>> 0 };
}

export function ret(k: number): Instruction {
  return { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: k >>> 0 };
}

export function errno(value: number): number {
  return (SECCOMP_RET_ERRNO | (value & SECCOMP_RET_DATA)) >>> 0;
}

/** The `struct sock_filter[]` bytes for `program`, in this machine's byte order. */
export function encode(program: readonly Instruction[], order: 'LE' | 'BE' = endianness()): Buffer {
  if (program.length === 0 || program.length > BPF_MAXINSNS) {
    throw new RangeError(`a seccomp program has 1..${BPF_MAXINSNS} instructions, not ${program.length}`);
  }
  const out = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    for (const [name, value, max] of [['jt', insn.jt, 0xff], ['jf', insn.jf, 0xff], ['code', insn.code, 0xffff]] as const) {
      if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`instruction ${i}: ${name}=${value} out of range`);
    }
    const at = i * 8;
    if (order === 'LE') {
      out.writeUInt16LE(insn.code, at);
      out.writeUInt32LE(insn.k >>> 0, at + 4);
    } else {
      out.writeUInt16BE(insn.code, at);
      out.writeUInt32BE(insn.k >>> 0, at + 4);
    }
    out.writeUInt8(insn.jt, at + 2);
    out.writeUInt8(insn.jf, at + 3);
  });
  return out;
}
