// The classic-BPF encoder: 8 bytes per instruction in the requested byte order, and refusal of
// programs the kernel would reject (empty, too long, jump offsets or opcodes out of range).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BPF_JEQ, BPF_MAXINSNS, SECCOMP_RET_ALLOW, argLow, encode, errno, jump, loadAbs, ret } from '../../../src/sandbox/seccomp/bpf.js';

describe('classic BPF encoder', () => {
  const program = [loadAbs(4), jump(BPF_JEQ, 0xc000003e, 1, 2), ret(SECCOMP_RET_ALLOW)];

  it('lays out code, jt, jf and k in little- and big-endian order', () => {
    const le = encode(program, 'LE');
    assert.equal(le.toString('hex'), ['2000000004000000', '150001023e0000c0', '060000000000ff7f'].join(''));
    const be = encode(program, 'BE');
    assert.equal(be.toString('hex'), ['0020000000000004', '00150102c000003e', '000600007fff0000'].join(''));
  });

  it('refuses programs the kernel would reject', () => {
    assert.throws(() => encode([]), RangeError);
    assert.throws(() => encode(Array.from({ length: BPF_MAXINSNS + 1 }, () => ret(0))), RangeError);
    assert.throws(() => encode([jump(BPF_JEQ, 1, 256, 0)]), /jt=256/);
    assert.throws(() => encode([{ code: 0x10000, jt: 0, jf: 0, k: 0 }]), /code=65536/);
  });

  it('addresses the low half of each 64-bit argument and builds errno results', () => {
    assert.deepEqual([0, 1, 5].map(argLow), [16, 24, 56]);
    assert.throws(() => argLow(6), RangeError);
    assert.equal(errno(1), 0x00050001);
    assert.equal(errno(38), 0x00050026);
  });
});
