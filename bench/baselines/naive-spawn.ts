// Baseline: the naive runner, a fresh `bwrap ... node` process per call (namespaces, read-only
// /usr, no network, empty env), the function passed on the command line and its result read
// from stdout. What every call would cost without a pool.
import { spawn } from 'node:child_process';

const FUNCTION = 'const input = JSON.parse(process.argv[1]); process.stdout.write(JSON.stringify({ echo: input }));';

export function naiveCall(bwrap: string, node: string, input: unknown): Promise<number> {
  const started = process.hrtime.bigint();
  const args = [
    '--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
    '--ro-bind', '/usr', '/usr', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin',
    '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--remount-ro', '/',
    node, '-e', FUNCTION, JSON.stringify(input),
  ];
  const asRoot = process.getuid?.() === 0;
  return new Promise((resolve, reject) => {
    const child = spawn(bwrap, args, { env: {}, stdio: ['ignore', 'pipe', 'pipe'], ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || !out.includes('echo')) reject(new Error(`naive runner failed (${code}): ${err}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}
