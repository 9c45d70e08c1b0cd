// Red team, kernel surface: a tenant that can make any system call (here through perl's
// syscall(), which is on every Debian machine and visible in the sandbox's read-only /usr) tries
// the calls namespaces alone leave open: keyrings, new namespaces, mounts, eBPF, io_uring, ptrace
// of the sandbox's own pid 1, cross-process memory reads, NUMA policy, exotic socket families,
// personality flags and the x32 syscall ABI. The seccomp allowlist answers EPERM (or kills the
// process for a foreign ABI). x86_64 numbers: the suite skips elsewhere.
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

  it('an x32-ABI syscall kills the process (SIGSYS), the sandbox itself keeps serving', async () => {
    const out = await syscall(String(0x40000000 + 39));
    assert.equal(out.signal, 'SIGSYS', JSON.stringify(out));
    const after = await syscall('39');
    assert.ok(after.ret > 0);
  });
});
