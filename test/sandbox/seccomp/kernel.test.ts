// The seccomp filter on the real kernel, Firecracker style: inside a real bwrap sandbox with the
// filter, perl makes raw syscalls. For every argument rule the allowed form works and each
// perturbed form fails with the expected errno; every call of the always-denied list present on
// this architecture fails with EPERM; an x32 syscall kills the calling process.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Sandbox } from '../../../src/sandbox/port.js';
import { Tracker, assertNoChildren } from '../support.js';
import { hostArch, runProbes, syscallScript } from './perl-probes.js';
import type { PerlArg } from './perl-probes.js';
import { CLONE_NS_FLAGS, HIGH, SIGCHLD } from './constants.js';
import { DENIED } from '../../../src/sandbox/seccomp/policy.js';

const arch = hostArch();
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
const FIONREAD = 0x541b;

describe(`seccomp on the real kernel (${arch.name})`, () => {
  const tracker = new Tracker('bwrap');
  let sandbox: Sandbox;
  const results = new Map<string, string>();
  const probes: Record<string, string> = {};
  const probe = (label: string, name: string | number, args: PerlArg[] = []): void => {
    probes[label] = syscallScript(arch, name, args);
  };
  const result = (label: string): string => {
    const value = results.get(label);
    assert.ok(value !== undefined, `probe ${label} ran`);
    return value;
  };
  const assertReturns = (label: string): void => assert.match(result(label), /^R\d+$/, label);
  const assertErrno = (label: string, errno: number): void => assert.equal(result(label), `E${errno}`, label);

  // clone: plain fork allowed; each namespace flag refused.
  probe('clone fork', 'clone', [SIGCHLD, 0, 0, 0, 0]);
  for (const [flag, bit] of Object.entries(CLONE_NS_FLAGS)) probe(`clone ${flag}`, 'clone', [SIGCHLD | bit, 0, 0, 0, 0]);
  probe('clone3', 'clone3', [0, 0]);
  // socket families, compared on the low 32 bits.
  probe('socket AF_UNIX', 'socket', [1, 1, 0]);
  probe('socket AF_INET', 'socket', [2, 1, 0]);
  probe('socket AF_INET6', 'socket', [10, 1, 0]);
  probe('socket AF_UNIX high bits', 'socket', [HIGH | 1n, 1, 0]);
  probe('socket AF_NETLINK', 'socket', [16, 3, 0]);
  probe('socket AF_NETLINK high bits', 'socket', [HIGH | 16n, 3, 0]);
  probe('socket AF_VSOCK', 'socket', [40, 1, 0]);
  probe('socket AF_PACKET', 'socket', [17, 3, 0]);
  probe('socketpair AF_UNIX', 'socketpair', [1, 1, 0, { buffer: 8 }]);
  probe('socketpair AF_INET', 'socketpair', [2, 1, 0, { buffer: 8 }]);
  // personality: query and default only.
  probe('personality 0', 'personality', [0]);
  probe('personality query', 'personality', [0xffffffff]);
  probe('personality PER_LINUX32', 'personality', [8]);
  probe('personality READ_IMPLIES_EXEC', 'personality', [0x0400000]);
  // ioctl: ordinary requests allowed, terminal injection refused (fd 0 is perl's stdin).
  probe('ioctl FIONREAD', 'ioctl', [0, FIONREAD, { buffer: 8 }]);
  probe('ioctl TIOCSTI', 'ioctl', [0, TIOCSTI, { text: 'x' }]);
  probe('ioctl TIOCSTI high bits', 'ioctl', [0, HIGH | BigInt(TIOCSTI), { text: 'x' }]);
  probe('ioctl TIOCLINUX', 'ioctl', [0, TIOCLINUX, { buffer: 8 }]);
  // A sample of the always-denied list.
  probe('keyctl', 'keyctl', [0, -3, 1]);
  probe('add_key', 'add_key', [{ text: 'user' }, { text: 'k' }, { text: 'v' }, 1, -3]);
  probe('unshare', 'unshare', [CLONE_NS_FLAGS.CLONE_NEWNS!]);
  probe('setns', 'setns', [0, 0]);
  probe('mount', 'mount', [{ text: 'none' }, { text: '/tmp' }, { text: 'tmpfs' }, 0, 0]);
  probe('open_tree', 'open_tree', [-100, { text: '/' }, 1]);
  probe('ptrace', 'ptrace', [16, 1, 0, 0]);
  probe('bpf', 'bpf', [0, { buffer: 128 }, 128]);
  probe('io_uring_setup', 'io_uring_setup', [1, { buffer: 128 }]);
  probe('process_vm_readv', 'process_vm_readv', [1, 0, 0, 0, 0, 0]);
  probe('kcmp', 'kcmp', [1, 1, 0, 0, 0]);
  probe('set_mempolicy', 'set_mempolicy', [0, 0, 0]);
  probe('userfaultfd', 'userfaultfd', [0]);
  probe('perf_event_open', 'perf_event_open', [{ buffer: 128 }, 0, -1, -1, 0]);
  if (arch.syscalls.modify_ldt !== undefined) probe('modify_ldt', 'modify_ldt', [0, { buffer: 16 }, 16]);
  probe('unknown syscall', 1000);
  // Every always-denied call, with zero arguments (the filter answers before the kernel looks).
  const alwaysDenied = DENIED.flatMap((g) => g.syscalls).filter((name) => arch.syscalls[name] !== undefined);
  for (const name of alwaysDenied) probe(`denied ${name}`, name, [0, 0, 0, 0, 0, 0]);
  if (arch.foreignAbiBit !== undefined) probe('x32 getpid', arch.foreignAbiBit | arch.syscalls.getpid!);

  before(async () => {
    sandbox = await tracker.spawn();
    for (const [label, value] of Object.entries(await runProbes(sandbox, probes))) results.set(label, value);
  });
  after(async () => {
    await tracker.cleanup();
    assertNoChildren();
  });

  it('records the seccomp layer on the sandbox', () => {
    assert.ok(sandbox.layers.includes('seccomp'), JSON.stringify(sandbox.layers));
  });

  it('clone: a plain fork works, every namespace flag is refused with EPERM', () => {
    assertReturns('clone fork');
    assert.notEqual(result('clone fork'), 'R0', 'the parent saw the child pid');
    for (const flag of Object.keys(CLONE_NS_FLAGS)) assertErrno(`clone ${flag}`, 1);
  });

  it('clone3 fails with ENOSYS (not EINVAL: the kernel never saw it)', () => {
    assertErrno('clone3', 38);
  });

  it('socket: unix and inet families work, netlink, vsock and packet are refused, on the low 32 bits', () => {
    assertReturns('socket AF_UNIX');
    assertReturns('socket AF_INET');
    if (existsSync('/proc/sys/net/ipv6')) assertReturns('socket AF_INET6');
    else assert.notEqual(result('socket AF_INET6'), 'E1');
    assertReturns('socket AF_UNIX high bits');
    for (const label of ['socket AF_NETLINK', 'socket AF_NETLINK high bits', 'socket AF_VSOCK', 'socket AF_PACKET']) assertErrno(label, 1);
    assertReturns('socketpair AF_UNIX');
    assertErrno('socketpair AF_INET', 1);
  });

  it('personality: query and default work, other personas are refused', () => {
    assert.equal(result('personality 0'), 'R0');
    assert.equal(result('personality query'), 'R0');
    assertErrno('personality PER_LINUX32', 1);
    assertErrno('personality READ_IMPLIES_EXEC', 1);
  });

  it('ioctl: FIONREAD works, TIOCSTI and TIOCLINUX are refused even with high bits set', () => {
    assert.equal(result('ioctl FIONREAD'), 'R0');
    for (const label of ['ioctl TIOCSTI', 'ioctl TIOCSTI high bits', 'ioctl TIOCLINUX']) assertErrno(label, 1);
  });

  it('refuses the always-denied sample and unknown syscalls with EPERM', () => {
    const denied = ['keyctl', 'add_key', 'unshare', 'setns', 'mount', 'open_tree', 'ptrace', 'bpf', 'io_uring_setup',
      'process_vm_readv', 'kcmp', 'set_mempolicy', 'userfaultfd', 'perf_event_open', 'unknown syscall'];
    if (arch.syscalls.modify_ldt !== undefined) denied.push('modify_ldt');
    for (const label of denied) assertErrno(label, 1);
  });

  it('refuses every always-denied call of the policy on the real kernel with EPERM', () => {
    assert.ok(alwaysDenied.length > 60, `${alwaysDenied.length} always-denied calls probed`);
    for (const name of alwaysDenied) assertErrno(`denied ${name}`, 1);
  });

  it('kills a process that makes an x32 syscall', { skip: arch.foreignAbiBit === undefined }, () => {
    assert.equal(result('x32 getpid'), 'SSIGSYS');
  });
});
