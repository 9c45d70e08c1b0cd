// Red team, kernel surface: a tenant that can make any system call (here through perl's
// syscall(), which is on every Debian machine and visible in the sandbox's read-only /usr) tries
// the calls namespaces alone leave open: keyrings, new namespaces, mounts, eBPF, io_uring, ptrace
// of the sandbox's own pid 1, cross-process memory reads, NUMA policy, exotic socket families,
// personality flags and the x32 syscall ABI. The seccomp allowlist answers EPERM (or kills the
// process for a foreign ABI). A static binary the tenant drops in /tmp or in a memfd runs under the
// same filter: its i386 `int 0x80` and x32 calls are killed too. x86_64 numbers: the suite skips elsewhere.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resultOf, startRedteamServer } from './support.js';
import type { RedteamServer } from './support.js';

const EPERM = 1;

/** A tenant function that runs one raw syscall in a perl child and reports its return and errno. */
const SYSCALL_FN = `import { spawnSync } from 'node:child_process';
export default async (input) => {
  // String arguments travel as perl's @ARGV: syscall() needs them in modifiable variables.
  const script = 'my @s = @ARGV; my $r = syscall(' + input.args + '); print "$r " . ($! + 0)';
  const r = spawnSync('/usr/bin/perl', ['-e', script, ...(input.strings ?? [])], { encoding: 'utf8', timeout: 5000 });
  const [ret, errno] = (r.stdout || '').trim().split(' ').map(Number);
  return { ret, errno, signal: r.signal, status: r.status, stderr: (r.stderr || '').slice(0, 200) };
};`;

/** [attack, perl syscall() arguments ($s[i] are string arguments), strings] — every one must end in EPERM. */
const DENIED: [string, string, string[]?][] = [
  ['keyctl: read the session keyring', '250, 0, -3'],
  ['add_key: plant a key', '248, $s[0], $s[1], $s[2], 1, -4', ['user', 'k', 'v']],
  ['unshare a new user namespace', '272, 0x10000000'],
  ['unshare a new mount namespace', '272, 0x00020000'],
  ['mount a tmpfs', '165, $s[0], $s[1], $s[2], 0, 0', ['none', '/tmp', 'tmpfs']],
  ['bpf: create a map', '321, 0, 0, 0'],
  ['io_uring_setup', '425, 8, 0'],
  ['ptrace: attach to the sandbox pid 1', '101, 16, 1, 0, 0'],
  ['process_vm_readv of pid 1', '310, 1, 0, 0, 0, 0, 0'],
  ['kcmp pid 1 with itself', '312, 1, 1, 0, 0, 0'],
  ['userfaultfd', '323, 0'],
  ['perf_event_open', '298, 0, 0, -1, -1, 0'],
  ['open_by_handle_at', '304, 3, 0, 0'],
  ['set_mempolicy (NUMA)', '238, 0, 0, 0'],
  ['socket(AF_NETLINK)', '41, 16, 3, 0'],
  ['socket(AF_VSOCK)', '41, 40, 1, 0'],
  ['personality(PER_LINUX32)', '135, 8'],
  ['setns', '308, 0, 0'],
  ['chroot', '161, $s[0]', ['/tmp']],
];

/**
 * A tenant function that writes tiny static x86_64 ELF programs (hand-assembled, no libc) to /tmp
 * and to a memfd (perl's syscall(memfd_create), then exec of /proc/self/fd/N) and runs each:
 * `exit7` exits with status 7 (the control: dropped code does run), `int80` makes the i386
 * getpid through `int 0x80`, `x32` makes getpid with the x32 bit; both then exit 0 if not killed.
 */
const DROPPED_BINARY_FN = `import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
const elf = (code) => {
  const h = Buffer.alloc(120);
  const total = BigInt(h.length + code.length);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(h, 0);
  h.writeUInt16LE(2, 16); h.writeUInt16LE(0x3e, 18); h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(0x400078n, 24); h.writeBigUInt64LE(64n, 32);
  h.writeUInt16LE(64, 52); h.writeUInt16LE(56, 54); h.writeUInt16LE(1, 56);
  h.writeUInt32LE(1, 64); h.writeUInt32LE(5, 68); h.writeBigUInt64LE(0n, 72);
  h.writeBigUInt64LE(0x400000n, 80); h.writeBigUInt64LE(0x400000n, 88);
  h.writeBigUInt64LE(total, 96); h.writeBigUInt64LE(total, 104); h.writeBigUInt64LE(0x1000n, 112);
  return Buffer.concat([h, Buffer.from(code)]);
};
const EXIT = [0xb8, 0x3c, 0, 0, 0, 0x0f, 0x05]; // mov eax, 60; syscall
const PROGRAMS = {
  exit7: [0xbf, 7, 0, 0, 0, ...EXIT],
  int80: [0xb8, 20, 0, 0, 0, 0xcd, 0x80, 0xbf, 0, 0, 0, 0, ...EXIT],
  x32: [0xb8, 39, 0, 0, 0x40, 0x0f, 0x05, 0xbf, 0, 0, 0, 0, ...EXIT],
};
const MEMFD = 'my $n = "dropped"; my $fd = syscall(319, $n, 0); die "memfd $!" if $fd < 0; ' +
  'open(my $fh, ">&=", $fd) or die; binmode $fh; binmode STDIN; local $/; print $fh scalar(<STDIN>); $fh->flush; ' +
  'exec("/proc/self/fd/$fd") or die "exec $!";';
export default async () => {
  const out = {};
  for (const [name, code] of Object.entries(PROGRAMS)) {
    writeFileSync('/tmp/' + name, elf(code), { mode: 0o755 });
    const file = spawnSync('/tmp/' + name, [], { timeout: 5000 });
    out['tmp ' + name] = file.signal ?? file.status;
    const memfd = spawnSync('/usr/bin/perl', ['-MIO::Handle', '-e', MEMFD], { input: elf(code), timeout: 5000 });
    out['memfd ' + name] = memfd.signal ?? memfd.status;
  }
  return out;
};`;

describe('red team: kernel surface', { skip: process.arch !== 'x64' && 'syscall numbers are x86_64' }, () => {
  let srv: RedteamServer;
  before(async () => {
    srv = await startRedteamServer();
    const res = await srv.deploy('mallory', 'syscall', SYSCALL_FN);
    assert.equal(res.status, 201, await res.text());
  });
  after(async () => {
    await srv.stop();
  });

  async function syscall(args: string, strings: string[] = []): Promise<{ ret: number; errno: number; signal: string | null; stderr: string }> {
    const answer = await srv.invoke('mallory', 'syscall', { args, strings });
    srv.assertNoCanary(answer);
    assert.equal(answer.body.status, 'succeeded', JSON.stringify(answer.body));
    return resultOf(answer);
  }

  it('an allowed call works in the same sandbox (getpid): the probe itself is sound', async () => {
    const out = await syscall('39');
    assert.ok(out.ret > 0, JSON.stringify(out));
  });

  for (const [what, args, strings] of DENIED) {
    it(`${what} is refused with EPERM`, async () => {
      const out = await syscall(args, strings);
      assert.deepEqual([out.ret, out.errno], [-1, EPERM], JSON.stringify(out));
    });
  }

  it('a binary dropped in /tmp or a memfd runs under the filter: int 0x80 and x32 calls die with SIGSYS', async () => {
    const answer = await srv.attack('dropped-binary', DROPPED_BINARY_FN);
    srv.assertNoCanary(answer);
    assert.deepEqual(resultOf(answer), {
      'tmp exit7': 7, // the control: dropped code runs, from /tmp and from a memfd
      'memfd exit7': 7,
      'tmp int80': 'SIGSYS',
      'memfd int80': 'SIGSYS',
      'tmp x32': 'SIGSYS',
      'memfd x32': 'SIGSYS',
    });
    const after = await syscall('39');
    assert.ok(after.ret > 0, 'the sandbox keeps serving');
  });

  it('an x32-ABI syscall kills the process (SIGSYS), the sandbox itself keeps serving', async () => {
    const out = await syscall(String(0x40000000 + 39));
    assert.equal(out.signal, 'SIGSYS', JSON.stringify(out));
    const after = await syscall('39');
    assert.ok(after.ret > 0);
  });
});
