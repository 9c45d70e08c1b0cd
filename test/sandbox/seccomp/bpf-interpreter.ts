// A tiny classic-BPF interpreter for the seccomp tests, written independently of the compiler:
// it decodes the encoded `struct sock_filter[]` bytes (so the encoding is tested too) and runs
// them over a `struct seccomp_data` the way the kernel does (32-bit loads, forward jumps only,
// a program that runs off its end is an error). Unknown opcodes throw.

export interface SeccompData {
  nr: number;
  arch: number;
  /** Up to six 64-bit arguments; missing ones are 0. */
  args?: readonly bigint[];
  instructionPointer?: bigint;
}

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export function decode(bytes: Buffer, order: 'LE' | 'BE' = 'LE'): Insn[] {
  if (bytes.length % 8 !== 0) throw new Error(`filter length ${bytes.length} is not a multiple of 8`);
  const out: Insn[] = [];
  for (let at = 0; at < bytes.length; at += 8) {
    out.push({
      code: order === 'LE' ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at),
      jt: bytes.readUInt8(at + 2),
      jf: bytes.readUInt8(at + 3),
      k: order === 'LE' ? bytes.readUInt32LE(at + 4) : bytes.readUInt32BE(at + 4),
    });
  }
  return out;
}

/** The 64-byte seccomp_data as the kernel lays it out on a little-endian machine. */
function dataBytes(d: SeccompData): Buffer {
  const buf = Buffer.alloc(64);
  buf.writeInt32LE(d.nr | 0, 0);
  buf.writeUInt32LE(d.arch >>> 0, 4);
  buf.writeBigUInt64LE(d.instructionPointer ?? 0n, 8);
  (d.args ?? []).forEach((a, i) => buf.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  return buf;
}

/** Runs the filter; returns the 32-bit SECCOMP_RET_* value. */
export function runFilter(bytes: Buffer, d: SeccompData): number {
  const prog = decode(bytes);
  const data = dataBytes(d);
  let a = 0;
  let x = 0;
  for (let pc = 0, steps = 0; steps <= prog.length; steps++) {
    const insn = prog[pc];
    if (insn === undefined) throw new Error(`program ran off its end at ${pc}`);
    const cls = insn.code & 0x07;
    const src = insn.code & 0x08 ? x : insn.k;
    switch (cls) {
      case 0x00: // LD
        if (insn.code === 0x20) {
          // W | ABS
          if (insn.k % 4 !== 0 || insn.k + 4 > 64) throw new Error(`bad load offset ${insn.k}`);
          a = data.readUInt32LE(insn.k);
        } else if (insn.code === 0x00) a = insn.k >>> 0; // W | IMM
        else throw new Error(`unsupported load 0x${insn.code.toString(16)}`);
        pc++;
        break;
      case 0x01: // LDX IMM
        if (insn.code !== 0x01) throw new Error(`unsupported ldx 0x${insn.code.toString(16)}`);
        x = insn.k >>> 0;
        pc++;
        break;
      case 0x04: // ALU
        if ((insn.code & 0xf0) === 0x50) a = (a & src) >>> 0;
        else throw new Error(`unsupported alu 0x${insn.code.toString(16)}`);
        pc++;
        break;
      case 0x05: {
        // JMP
        const op = insn.code & 0xf0;
        if (op === 0x00) {
          pc += 1 + insn.k;
          break;
        }
        let taken: boolean;
        if (op === 0x10) taken = a === src >>> 0;
        else if (op === 0x20) taken = a > src >>> 0;
        else if (op === 0x30) taken = a >= src >>> 0;
        else if (op === 0x40) taken = (a & src) !== 0;
        else throw new Error(`unsupported jump 0x${insn.code.toString(16)}`);
        pc += 1 + (taken ? insn.jt : insn.jf);
        break;
      }
      case 0x06: // RET
        if (insn.code === 0x06) return insn.k >>> 0;
        if (insn.code === 0x16) return a >>> 0;
        throw new Error(`unsupported ret 0x${insn.code.toString(16)}`);
      default:
        throw new Error(`unsupported class 0x${cls.toString(16)} at ${pc}`);
    }
  }
  throw new Error('program did not finish');
}
