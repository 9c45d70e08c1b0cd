// Unit tests of the seccomp filter generator, run through an independent classic-BPF
// interpreter: for both architectures, every rule's allowed form is ALLOWed and each perturbed
// form gets the expected action; foreign architectures and the x32 ABI are killed; every
// always-denied and every unknown syscall fails with EPERM.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AARCH64, ARCHES, X86_64 } from '../../../src/sandbox/seccomp/arch.js';
import type { Arch } from '../../../src/sandbox/seccomp/arch.js';
import { SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS } from '../../../src/sandbox/seccomp/bpf.js';
import { DEFAULT_POLICY, compileFilter } from '../../../src/sandbox/seccomp/compile.js';
import { ALLOWED, ARG_RULES, DENIED } from '../../../src/sandbox/seccomp/policy.js';
import { runFilter } from './bpf-interpreter.js';
import { CLONE_NS_FLAGS, HIGH, SIGCHLD } from './constants.js';

const ALLOW = SECCOMP_RET_ALLOW;
const KILL = SECCOMP_RET_KILL_PROCESS;
const EPERM = (SECCOMP_RET_ERRNO | 1) >>> 0;
const ENOSYS = (SECCOMP_RET_ERRNO | 38) >>> 0;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_ARM = 0x40000028;

/** What glibc's pthread_create passes to clone (VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID). */
const THREAD_FLAGS = 0x3d0f00;

/** The syscalls the threat model requires to be denied whatever their arguments. */
const REQUIRED_DENIED = [
  'mount', 'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr', 'umount2',
  'unshare', 'setns', 'pivot_root', 'chroot', 'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open',
  'lookup_dcookie', 'userfaultfd', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'ptrace',
  'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'open_by_handle_at', 'name_to_handle_at',
  'modify_ldt', 'mbind', 'set_mempolicy', 'get_mempolicy', 'migrate_pages', 'move_pages', 'init_module',
  'finit_module', 'delete_module', 'kexec_load', 'kexec_file_load', 'reboot', 'swapon', 'swapoff',
  'settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex', 'sethostname', 'setdomainname', 'acct',
  'quotactl', 'syslog', 'iopl', 'ioperm',
];

function nr(arch: Arch, name: string): number {
  const n = arch.syscalls[name];
  assert.ok(n !== undefined, `${name} is in the ${arch.name} table`);
  return n;
}

for (const arch of ARCHES) {
  describe(`seccomp filter for ${arch.name}`, () => {
    const filter = compileFilter(arch).bytes;
    const call = (name: string | number, args: readonly (bigint | number)[] = []): number =>
      runFilter(filter, {
        nr: typeof name === 'number' ? name : nr(arch, name),
        arch: arch.auditArch,
        args: args.map((a) => BigInt(a)),
      });

    it('allows every syscall of the allowlist present on this architecture, whatever the arguments', () => {
      let count = 0;
      for (const name of ALLOWED.flatMap((g) => g.syscalls)) {
        if (arch.syscalls[name] === undefined) continue;
        assert.equal(call(name), ALLOW, name);
        assert.equal(call(name, [-1n, 0xffffffffn, 7n, HIGH, 1n, 2n]), ALLOW, `${name} with odd arguments`);
        count++;
      }
      assert.ok(count > 150, `${count} syscalls allowed`);
    });

    it('denies with EPERM every always-denied syscall present on this architecture', () => {
      for (const name of REQUIRED_DENIED) {
        assert.ok(DENIED.some((g) => g.syscalls.includes(name)), `${name} is in the policy's denied list`);
      }
      for (const name of DENIED.flatMap((g) => g.syscalls)) {
        if (arch.syscalls[name] === undefined) continue;
        assert.equal(call(name), EPERM, name);
        assert.equal(call(name, [0n, 0n, 0n, 0n, 0n, 0n]), EPERM, name);
      }
    });

    it('denies with EPERM every syscall the policy does not name, and unknown numbers', () => {
      const named = new Set([...ALLOWED.flatMap((g) => g.syscalls), ...ARG_RULES.map((r) => r.syscall), 'clone3']);
      const unnamed = Object.keys(arch.syscalls).filter((n) => !named.has(n));
      assert.ok(unnamed.includes('setuid') && unnamed.includes('seccomp'), 'setuid and seccomp are not allowed');
      for (const name of unnamed) assert.equal(call(name), EPERM, name);
      for (const unknown of [999, 1023, 0x3fffffff, 0xffff]) assert.equal(call(unknown), EPERM, `nr ${unknown}`);
    });

    it('answers clone3 with ENOSYS so libc falls back to clone', () => {
      assert.equal(call('clone3'), ENOSYS);
      assert.equal(call('clone3', [0n, 88n]), ENOSYS);
    });

    it('clone: allowed without namespace flags, EPERM with any of them', () => {
      assert.equal(call('clone', [SIGCHLD]), ALLOW);
      assert.equal(call('clone', [THREAD_FLAGS]), ALLOW);
      // The kernel reads only the low 32 bits of clone's flags.
      assert.equal(call('clone', [HIGH | BigInt(SIGCHLD)]), ALLOW);
      for (const [flag, bit] of Object.entries(CLONE_NS_FLAGS)) {
        assert.equal(call('clone', [SIGCHLD | bit]), EPERM, flag);
        assert.equal(call('clone', [THREAD_FLAGS | bit]), EPERM, `threads + ${flag}`);
      }
      assert.equal(call('clone', [0x7e020000]), EPERM, 'all namespace flags');
    });

    it('socket: AF_UNIX, AF_INET, AF_INET6 allowed, other families EPERM, compared on the low 32 bits', () => {
      for (const family of [1, 2, 10]) {
        assert.equal(call('socket', [family, 1, 0]), ALLOW, `family ${family}`);
        assert.equal(call('socket', [HIGH | BigInt(family), 1, 0]), ALLOW, `family ${family} with high bits`);
      }
      // AF_UNSPEC, AF_NETLINK, AF_PACKET, AF_VSOCK, AF_ALG, AF_BLUETOOTH, AF_KEY, AF_XDP
      for (const family of [0, 16, 17, 40, 38, 31, 15, 44, 3, 9, 11]) {
        assert.equal(call('socket', [family, 3, 0]), EPERM, `family ${family}`);
        assert.equal(call('socket', [HIGH | BigInt(family), 3, 0]), EPERM, `family ${family} with high bits`);
      }
      assert.equal(call('socketpair', [1, 1, 0]), ALLOW);
      assert.equal(call('socketpair', [2, 1, 0]), EPERM);
      assert.equal(call('socketpair', [30, 1, 0]), EPERM, 'AF_TIPC');
    });

    it('personality: 0 and 0xffffffff only', () => {
      assert.equal(call('personality', [0]), ALLOW);
      assert.equal(call('personality', [0xffffffff]), ALLOW);
      assert.equal(call('personality', [HIGH]), ALLOW, 'low 32 bits are 0 (what the kernel sees)');
      for (const persona of [8, 0x0400000, 0x0040000, 0x0008000, 1, 0xfffffffe]) {
        assert.equal(call('personality', [persona]), EPERM, `persona 0x${persona.toString(16)}`);
      }
    });

    it('ioctl: TIOCSTI and TIOCLINUX EPERM, other requests allowed', () => {
      for (const request of [0x541b /* FIONREAD */, 0x5401 /* TCGETS */, 0x5413 /* TIOCGWINSZ */, 0x5421 /* FIONBIO */]) {
        assert.equal(call('ioctl', [1, request, 0]), ALLOW, `request 0x${request.toString(16)}`);
      }
      for (const request of [0x5412, 0x541c]) {
        assert.equal(call('ioctl', [0, request, 0]), EPERM, `request 0x${request.toString(16)}`);
        assert.equal(call('ioctl', [0, HIGH | BigInt(request), 0]), EPERM, 'high bits do not hide the request');
      }
    });

    it('kills foreign architectures (i386 int 0x80, arm compat, the other 64-bit arch)', () => {
      const other = arch === X86_64 ? AARCH64 : X86_64;
      for (const foreign of [AUDIT_ARCH_I386, AUDIT_ARCH_ARM, other.auditArch, 0]) {
        for (const n of [0, 1, 20, nr(arch, 'getpid'), nr(arch, 'read')]) {
          assert.equal(runFilter(filter, { nr: n, arch: foreign }), KILL, `arch 0x${foreign.toString(16)} nr ${n}`);
        }
      }
    });

    if (arch.foreignAbiBit !== undefined) {
      it('kills x32 ABI syscalls (nr | 0x40000000)', () => {
        for (const name of ['getpid', 'read', 'write', 'exit_group', 'keyctl']) {
          assert.equal(call(nr(arch, name) | 0x40000000), KILL, `x32 ${name}`);
        }
        assert.equal(call(0x40000000 | 512), KILL, 'x32-only number');
      });
    }
  });
}

describe('seccomp filter structure', () => {
  it('denied and allowed lists never overlap, and every name is a syscall somewhere', () => {
    assert.throws(
      () => compileFilter(X86_64, { ...DEFAULT_POLICY, denied: [...DEFAULT_POLICY.denied, { why: 'x', syscalls: ['read'] }] }),
      /read is listed twice/,
    );
    assert.throws(
      () => compileFilter(X86_64, { ...DEFAULT_POLICY, allowed: [...DEFAULT_POLICY.allowed, { why: 'x', syscalls: ['not_a_call'] }] }),
      /not_a_call is not a syscall/,
    );
  });

  it('both architectures know every core syscall Node needs', () => {
    for (const name of ['openat', 'read', 'write', 'mmap', 'futex', 'clone', 'execve', 'epoll_pwait', 'socket', 'ioctl', 'getrandom']) {
      for (const arch of ARCHES) nr(arch, name);
    }
    assert.equal(AARCH64.syscalls.open, undefined, 'aarch64 has no legacy open');
  });

  it('encodes 8 bytes per instruction in host byte order', () => {
    const f = compileFilter(X86_64);
    assert.equal(f.bytes.length, f.program.length * 8);
    const first = f.program[0]!;
    assert.equal(f.bytes.readUInt16LE(0), first.code);
    assert.equal(f.bytes.readUInt32LE(4), first.k);
    assert.equal(f.bytes.readUInt32LE(12), X86_64.auditArch, 'the arch compare carries AUDIT_ARCH_X86_64');
  });
});
