// Unit tests of the bubblewrap argument builder (pure, no sandbox involved).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildBwrapArgs, encodeArgs } from '../../src/sandbox/bwrap/args.js';

const base = { nodePath: '/usr/bin/node', memoryMiB: 128, tmpBytes: 1024, codeBytes: 2048, programFd: 5, infoFd: 6 };

function pairs(args: string[], flag: string): string[][] {
  const out: string[][] = [];
  args.forEach((a, i) => {
    if (a === flag) out.push(args.slice(i + 1, i + 3));
  });
  return out;
}

describe('bwrap args', () => {
  it('unshares everything, fails closed on user namespaces and drops capabilities', () => {
    const { args } = buildBwrapArgs(base);
    for (const flag of ['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session']) {
      assert.ok(args.includes(flag), flag);
    }
    assert.deepEqual(args.slice(args.indexOf('--cap-drop'), args.indexOf('--cap-drop') + 2), ['--cap-drop', 'ALL']);
    assert.ok(!args.includes('--share-net'));
  });

  it('binds only /usr from the host and /proc/sys read-only', () => {
    const { args } = buildBwrapArgs(base);
    assert.deepEqual(pairs(args, '--ro-bind'), [['/usr', '/usr'], ['/proc/sys', '/proc/sys']]);
    assert.deepEqual(pairs(args, '--bind'), []);
    assert.ok(args.indexOf('--proc') < args.indexOf('/proc/sys'), '/proc/sys is covered after /proc is mounted');
  });

  it('size-limits every writable tmpfs and ends read-only', () => {
    const { args } = buildBwrapArgs(base);
    const tmpfs = args.flatMap((a, i) => (a === '--tmpfs' ? [[args[i - 2], args[i - 1], args[i + 1]]] : []));
    assert.deepEqual(tmpfs, [['--size', '1024', '/dev/shm'], ['--size', '1024', '/tmp'], ['--size', '2048', '/fn']]);
    // /fn, a mount of its own, ends read-only too; /tmp and /dev/shm stay writable.
    assert.deepEqual(args.slice(-8), ['--remount-ro', '/dev', '--remount-ro', '/fn', '--remount-ro', '/', '--chdir', '/tmp']);
  });

  it('copies the harness in from a pipe and runs node with the heap ceiling', () => {
    const { args, command } = buildBwrapArgs(base);
    assert.deepEqual(pairs(args, '--file'), [['5', '/airlock/harness.cjs']]);
    // A file in the root tmpfs, not a mount of its own: the root's remount, after it, makes it read-only.
    assert.ok(args.lastIndexOf('--file') < args.findIndex((a, i) => a === '--remount-ro' && args[i + 1] === '/'));
    assert.equal(args.includes('--ro-bind-data'), false);
    assert.deepEqual(command, ['/usr/bin/node', '--max-old-space-size=128', '/airlock/harness.cjs', '/fn']);
  });

  it("a deploy's check sandbox gets the parse check in place of the harness, behind the same walls", () => {
    const harness = buildBwrapArgs(base);
    const check = buildBwrapArgs({ ...base, program: { kind: 'parse-check', nodeFlags: ['--experimental-vm-modules'] } });
    assert.deepEqual(pairs(check.args, '--file'), [['5', '/airlock/parse-check.cjs']]);
    assert.deepEqual(check.command, ['/usr/bin/node', '--max-old-space-size=128', '--experimental-vm-modules', '/airlock/parse-check.cjs']);
    const walls = (args: string[]) => args.filter((a) => a !== '/airlock/harness.cjs' && a !== '/airlock/parse-check.cjs');
    assert.deepEqual(walls(check.args), walls(harness.args));
  });

  it('binds a node installed outside /usr at a neutral path: the executable alone, never a directory around it', () => {
    for (const nodePath of ['/opt/node-v20/bin/node', '/opt/node', '/node', '/root/.nvm/versions/node/v20.20.2/bin/node']) {
      const { args, command } = buildBwrapArgs({ ...base, nodePath });
      assert.deepEqual(pairs(args, '--ro-bind'), [['/usr', '/usr'], [nodePath, '/airlock/node/bin/node'], ['/proc/sys', '/proc/sys']], nodePath);
      assert.equal(command[0], '/airlock/node/bin/node');
    }
  });

  it('adds seccomp fds when given', () => {
    const { args } = buildBwrapArgs({ ...base, seccompFds: [7, 8] });
    assert.deepEqual(pairs(args, '--add-seccomp-fd').map((p) => p[0]), ['7', '8']);
  });

  it('encodes arguments NUL-terminated', () => {
    assert.deepEqual(encodeArgs(['--a', 'b c']), Buffer.from('--a\0b c\0'));
  });
});
