// Out-of-memory errors in a sandbox a tenant's functions shared name the others (their memory is
// in the same heap); a sandbox only one function used keeps the error as it was. Then the same
// from a real server: one function hoards memory in globalThis, another runs out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SandboxFunctions } from '../../src/services/sandbox-functions.js';
import { deploy, invoke, startTestServer } from '../support/server.js';

const OOM = { type: 'OutOfMemory', message: 'the function ran out of memory (limit 64 MiB, limits.memoryMiB); use less memory' };

test('names the other functions that ran in the sandbox, at most three by name', () => {
  const seen = new SandboxFunctions();
  const a = {};
  const b = {};
  seen.note(a, 'alloc');
  seen.note(a, 'alloc');
  assert.deepEqual(seen.explainOom(OOM, a, 'alloc'), OOM, 'only itself: unchanged');
  assert.deepEqual(seen.explainOom(OOM, b, 'alloc'), OOM, 'a sandbox never noted: unchanged');
  seen.note(a, 'hoard');
  assert.equal(
    seen.explainOom(OOM, a, 'alloc').message,
    `${OOM.message}. Its sandbox also ran hoard of the same tenant (isolation "tenant": one heap for all), so memory they kept (e.g. in globalThis) counts too: deploy them with isolation "function" to see which one grows`,
  );
  for (const fn of ['c', 'd', 'e']) seen.note(a, fn);
  assert.match(seen.explainOom(OOM, a, 'alloc').message, /also ran hoard, c, d and 1 more of the same tenant/);
  assert.equal(seen.explainOom(OOM, a, 'alloc').type, 'OutOfMemory');
});

test('a real sandbox: the function that ran out is told that another one kept memory in the shared heap', async () => {
  const server = await startTestServer({ AIRLOCK_POOL_SIZE: '1' });
  try {
    const limits = { memoryMiB: 64, timeoutMs: 10_000 };
    await deploy(server, 'acme', 'hoard', 'export default async () => { (globalThis.kept ??= []).push(new Float64Array(5 * 1024 * 1024).fill(1)); return globalThis.kept.length; };', { limits });
    await deploy(server, 'acme', 'alloc', 'export default async () => { const a = []; for (let i = 0; i < 64; i++) a.push(new Array(1024 * 1024).fill(i + 0.5)); return a.length; };', { limits });
    const first = await invoke(server, 'acme', 'hoard', null);
    assert.equal(first.body.status, 'succeeded', JSON.stringify(first.body.error));
    const second = await invoke(server, 'acme', 'alloc', null);
    assert.equal(second.body.status, 'oom', JSON.stringify(second.body));
    assert.equal(second.body.start, 'warm', 'the same sandbox as hoard');
    assert.match(second.body.error.message, /^the function ran out of memory .*Its sandbox also ran hoard of the same tenant \(isolation "tenant": one heap for all\)/);
  } finally {
    await server.close();
  }
});
