// Node under the seccomp filter: what tenant code commonly uses keeps working in a real bwrap
// sandbox with the allowlist (fs, timers, worker_threads, crypto, zlib, child_process), and the
// filter is inherited by everything the sandbox starts.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Tracker, assertNoChildren, request } from '../support.js';
import { hostArch } from './perl-probes.js';

const FEATURES = `import { mkdirSync, writeFileSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, promises as fsp } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { randomBytes, webcrypto, createHash } from 'node:crypto';
import { gzipSync, gunzipSync, brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import { spawn, execFileSync } from 'node:child_process';
export default async (input) => {
  mkdirSync('/tmp/features/sub', { recursive: true });
  writeFileSync('/tmp/features/a.txt', 'alpha');
  renameSync('/tmp/features/a.txt', '/tmp/features/sub/b.txt');
  await fsp.appendFile('/tmp/features/sub/b.txt', '-beta');
  const fs = { text: await fsp.readFile('/tmp/features/sub/b.txt', 'utf8'), size: statSync('/tmp/features/sub/b.txt').size,
    list: readdirSync('/tmp/features/sub') };
  unlinkSync('/tmp/features/sub/b.txt');
  const timeout = await new Promise((resolve) => setTimeout(() => resolve('fired'), 20));
  const interval = await new Promise((resolve) => { let n = 0; const h = setInterval(() => { if (++n === 3) { clearInterval(h); resolve(n); } }, 1); });
  await new Promise((resolve) => setImmediate(resolve));
  const timers = { timeout, interval };
  const worker = new Worker('const { parentPort, workerData } = require("node:worker_threads"); parentPort.postMessage(workerData * 2);', { eval: true, workerData: 21 });
  const fromWorker = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  await worker.terminate();
  const key = await webcrypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign', 'verify']);
  const sig = await webcrypto.subtle.sign('HMAC', key, new TextEncoder().encode('payload'));
  const crypto = { random: randomBytes(32).length, sig: sig.byteLength,
    ok: await webcrypto.subtle.verify('HMAC', key, sig, new TextEncoder().encode('payload')),
    digest: createHash('sha256').update('abc').digest('hex').slice(0, 8) };
  const blob = randomBytes(64 * 1024);
  const zlib = { gzip: gunzipSync(gzipSync(blob)).equals(blob), brotli: brotliDecompressSync(brotliCompressSync(blob)).equals(blob) };
  const child = spawn('/bin/sh', ['-c', 'echo ok']);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const code = await new Promise((resolve) => child.on('close', resolve));
  // A child inherits the filter: its own raw keyctl is refused too.
  const childKeyctl = execFileSync('/usr/bin/perl', ['-e', 'syscall(' + input.keyctl + ', 0, -3, 1) == -1 and print $! + 0'], { encoding: 'utf8' });
  return { fs, timers, fromWorker, crypto, zlib, childProcess: { out, code }, childKeyctl };
};`;

describe('Node under the seccomp filter', () => {
  const tracker = new Tracker('bwrap');
  after(async () => {
    await tracker.cleanup();
    assertNoChildren();
  });

  it('runs fs, timers, worker_threads, crypto, zlib and child_process', async () => {
    const sandbox = await tracker.spawn(128);
    assert.ok(sandbox.layers.includes('seccomp'));
    const outcome = await sandbox.run(request(FEATURES, { input: { keyctl: hostArch().syscalls.keyctl }, timeoutMs: 30_000 }));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error ?? outcome.logs));
    assert.deepEqual(outcome.result, {
      fs: { text: 'alpha-beta', size: 10, list: ['b.txt'] },
      timers: { timeout: 'fired', interval: 3 },
      fromWorker: 42,
      crypto: { random: 32, sig: 32, ok: true, digest: 'ba7816bf' },
      zlib: { gzip: true, brotli: true },
      childProcess: { out: 'ok\n', code: 0 },
      childKeyctl: '1',
    });
  });
});
