// Red team, cross-tenant: tenant A leaves a secret everywhere a warm sandbox keeps state (/tmp,
// /dev/shm, a global, a patched builtin, the module cache, a prototype); tenant B deploys the
// very same code under the very same function name and must find none of it. A itself finds
// its leftovers on its next call, which proves the probe would see them if B shared A's sandbox.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { resultOf, startRedteamServer, waitFor } from './support.js';
import type { AttackAnswer, RedteamServer } from './support.js';

const CODE = `import { writeFileSync, readFileSync, readdirSync } from 'node:fs';
  import path from 'node:path';
  const state = {};
  const read = (p) => { try { return readFileSync(p, 'utf8'); } catch (e) { return e.code; } };
  const BOX = 'data:text/javascript,export const box = {}';
  export default async (input) => {
    if (input.plant) {
      writeFileSync('/tmp/planted', input.plant);
      writeFileSync('/dev/shm/planted', input.plant);
      globalThis.planted = input.plant;
      Object.prototype.plantedProto = input.plant;
      path.plantedModule = input.plant;
      const original = JSON.stringify;
      JSON.stringify = (...args) => original(...args).replace('}', ',"patched":"' + input.plant + '"}');
      state.planted = input.plant;
      (await import(BOX)).box.planted = input.plant;
      return 'planted';
    }
    return {
      tmp: readdirSync('/tmp'), shm: readdirSync('/dev/shm'),
      tmpFile: read('/tmp/planted'), shmFile: read('/dev/shm/planted'),
      global: globalThis.planted ?? null, proto: ({}).plantedProto ?? null,
      module: path.plantedModule ?? null, stringify: JSON.stringify({ a: 1 }),
      moduleState: state.planted ?? null, moduleCache: (await import(BOX)).box.planted ?? null,
    };
  };`;

describe('red team: cross-tenant leftovers', () => {
  let srv: RedteamServer;
  before(async () => {
    srv = await startRedteamServer();
  });
  after(async () => {
    await srv.stop();
  });

  it('tenant B sees nothing tenant A left in /tmp, /dev/shm, globals, builtins or the module cache', async () => {
    const secret = `a-secret-${randomBytes(8).toString('hex')}`;
    const planted = await srv.attack('shared', CODE, { tenant: 'alice', input: { plant: secret } });
    assert.equal(resultOf(planted), 'planted');

    // B: same name, same code (so even the same version hash), its own sandbox.
    const seen = await srv.attack('shared', CODE, { tenant: 'bob', input: {} });
    srv.assertNoCanary(seen);
    assert.ok(!JSON.stringify(seen).includes(secret), "A's secret reached B");
    assert.deepEqual(resultOf(seen), {
      tmp: [],
      shm: [],
      tmpFile: 'ENOENT',
      shmFile: 'ENOENT',
      global: null,
      proto: null,
      module: null,
      stringify: '{"a":1}',
      moduleState: null,
      moduleCache: null,
    });
    assert.notEqual(seen.body.start, 'warm', 'B never gets a sandbox that ran A');

    // Control: A's own next call (its warm sandbox) still holds everything it planted.
    const own = await srv.invoke('alice', 'shared', {});
    assert.equal(own.body.start, 'warm');
    const mine = resultOf<Record<string, unknown>>(own);
    assert.equal(mine.tmpFile, secret);
    assert.equal(mine.shmFile, secret);
    assert.equal(mine.global, secret);
    assert.equal(mine.proto, secret);
    assert.equal(mine.module, secret);
    assert.equal(mine.moduleState, secret);
    assert.equal(mine.moduleCache, secret);
    assert.match(mine.stringify as string, new RegExp(secret));
  });

  it('concurrent sandboxes of two tenants cannot see or signal each other', async () => {
    const holdCode = `import { readdirSync, readFileSync } from 'node:fs';
      export default async (input) => {
        if (input.hold) { await new Promise((r) => setTimeout(r, input.hold)); return { pid: process.pid }; }
        const out = { pids: readdirSync('/proc').filter((e) => /^\\d+$/.test(e)), signalable: {} };
        // Every id that accepts a signal must be one of B's own threads (thread group 1).
        for (let pid = 2; pid <= 300; pid++) {
          try { process.kill(pid, 0); } catch (e) { continue; }
          try { out.signalable[pid] = Number(/^Tgid:\\s+(\\d+)/m.exec(readFileSync('/proc/' + pid + '/status', 'utf8'))[1]); }
          catch (e) { out.signalable[pid] = e.code ?? String(e); }
        }
        return out;
      };`;
    // A holds its sandbox busy while B looks around.
    const holding = srv.attack('hold', holdCode, { tenant: 'alice', input: { hold: 1500 } });
    await waitFor('A to be running', async () => {
      const metrics = await (await fetch(`${srv.url}/metrics`)).text();
      return /airlock_sandboxes\{state="busy"\} [1-9]/.test(metrics) ? true : undefined;
    });
    const look = await srv.attack('hold', holdCode, { tenant: 'bob', input: {} });
    srv.assertNoCanary(look);
    const r = resultOf<Record<string, unknown>>(look);
    assert.deepEqual(r.pids, ['1']);
    const signalable = Object.entries(r.signalable as Record<string, unknown>);
    assert.ok(signalable.length > 0, "B's own threads are found (the probe works)");
    for (const [pid, tgid] of signalable) assert.equal(tgid, 1, `pid ${pid} is not B's own thread`);
    const held = await holding;
    assert.equal(resultOf<{ pid: number }>(held).pid, 1);
  });
  it('concurrent sandboxes of two tenants cannot meet on an abstract unix socket or a loopback port', async () => {
    // A listens on an abstract socket and on its loopback, and holds; B, meanwhile, tries both.
    const code = `import net from 'node:net';
      export default async (input) => {
        if (input.listen) {
          const seen = [];
          const servers = [net.createServer((s) => { seen.push('connection'); s.destroy(); }), net.createServer((s) => { seen.push('connection'); s.destroy(); })];
          await new Promise((r) => servers[0].listen({ path: '\\0airlock-rt-rendezvous' }, r));
          await new Promise((r) => servers[1].listen(19745, '127.0.0.1', r));
          await new Promise((r) => setTimeout(r, input.listen));
          for (const s of servers) s.close();
          return { listened: true, seen };
        }
        const tryConnect = (opts) => new Promise((resolve) => {
          const socket = net.connect(opts);
          const timer = setTimeout(() => { socket.destroy(); resolve('TIMEOUT'); }, 2000);
          socket.on('connect', () => { clearTimeout(timer); socket.destroy(); resolve('CONNECTED'); });
          socket.on('error', (e) => { clearTimeout(timer); resolve(e.code); });
        });
        return { abstract: await tryConnect({ path: '\\0airlock-rt-rendezvous' }), tcp: await tryConnect({ host: '127.0.0.1', port: 19745 }) };
      };`;
    const listening = srv.attack('rendezvous', code, { tenant: 'alice', input: { listen: 2000 }, limits: { timeoutMs: 8000 } });
    await waitFor('A to be running', async () => {
      const metrics = await (await fetch(`${srv.url}/metrics`)).text();
      return /airlock_sandboxes\{state="busy"\} [1-9]/.test(metrics) ? true : undefined;
    });
    const b = await srv.attack('rendezvous', code, { tenant: 'bob', input: {}, limits: { timeoutMs: 8000 } });
    srv.assertNoCanary(b);
    assert.deepEqual(resultOf(b), { abstract: 'ECONNREFUSED', tcp: 'ECONNREFUSED' });
    const a = await listening;
    assert.deepEqual(resultOf(a), { listened: true, seen: [] }, 'A really listened, and nobody reached it');
  });

  // A function's isolation scope holds through the whole server (admission, pool, calls queued
  // inside warm sandboxes), not only in the pool: calls of four functions of one tenant at once,
  // each leaving a mark in /tmp and a global, see only the marks their scope allows.
  it('isolation "function" and "execution" hold end to end for one tenant under concurrent calls', async () => {
    const code = `import { writeFileSync, readdirSync } from 'node:fs';
      export default async (input, ctx) => {
        const seen = [...readdirSync('/tmp'), ...(globalThis.marks ?? [])];
        writeFileSync('/tmp/' + ctx.function, 'x');
        (globalThis.marks ??= []).push(ctx.function);
        await new Promise((r) => setTimeout(r, 20));
        return seen;
      };`;
    const scopes = { 'iso-f1': 'function', 'iso-f2': 'function', 'iso-t1': 'tenant', 'iso-t2': 'tenant', 'iso-x': 'execution' } as const;
    for (const [fn, isolation] of Object.entries(scopes)) {
      const res = await srv.deploy('mallory', fn, code, { isolation });
      assert.ok(res.status < 300, await res.text());
    }
    const calls: Promise<[string, AttackAnswer]>[] = [];
    for (let round = 0; round < 6; round++) {
      for (const fn of Object.keys(scopes)) calls.push(srv.invoke('mallory', fn).then((a) => [fn, a]));
    }
    let warm = 0;
    let marksSeen = 0;
    for (const [fn, answer] of await Promise.all(calls)) {
      const seen = resultOf<string[]>(answer);
      if (answer.body.start === 'warm') warm++;
      marksSeen += seen.length;
      const allowed = scopes[fn as keyof typeof scopes] === 'execution' ? [] : scopes[fn as keyof typeof scopes] === 'function' ? [fn] : ['iso-t1', 'iso-t2'];
      for (const mark of seen) assert.ok(allowed.includes(mark), `${fn} (${scopes[fn as keyof typeof scopes]}) saw ${mark}`);
    }
    assert.ok(warm > 0 && marksSeen > 0, 'the control: warm sandboxes were reused, and their marks seen where allowed');
  });

  // The ids a tenant sees are not secret (they show up in URLs and logs): tenant B's key, on its
  // own tenant's routes, names A's execution, job, schedule, secret and webhook token, and finds
  // nothing of A's, changes nothing of A's, and learns nothing that tells A's ids from unknown ones.
  it("a tenant key naming another tenant's ids on its own routes finds nothing and changes nothing", async () => {
    const admin = srv.headers;
    const secretOfA = `a-private-${randomBytes(8).toString('hex')}`;
    const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
      const res = await fetch(`${srv.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await res.text();
      srv.assertNoCanary(text);
      if (headers !== admin) assert.ok(!text.includes(secretOfA), `bob read alice's value: ${text}`);
      return { status: res.status, text, body: (text === '' ? null : JSON.parse(text)) as { error?: { code: string } } & Record<string, unknown> };
    };
    const vault = `export default async (input) => {
      if (input?.hold) await new Promise((r) => setTimeout(r, 60_000));
      return ${JSON.stringify(secretOfA)};
    };`;
    for (const tenant of ['alice', 'bob']) assert.equal((await srv.deploy(tenant, 'vault', vault)).status < 300, true);
    const exec = await srv.invoke('alice', 'vault');
    assert.equal(resultOf(exec), secretOfA, 'the control: alice reads her own value');
    const executionId = exec.body.executionId;
    const job = await call('POST', '/v1/tenants/alice/functions/vault/jobs', admin, { input: { hold: true }, maxRunMs: 60_000 });
    assert.equal(job.status, 202, job.text);
    const jobId = job.body.jobId as string;
    const runningA = await waitFor("alice's job to run", async () => {
      const j = await call('GET', `/v1/tenants/alice/jobs/${jobId}`, admin);
      return j.body.status === 'running' ? j.body : undefined;
    });
    for (const [path, body] of [
      ['/v1/tenants/alice/schedules/nightly', { function: 'vault', everySeconds: 86_400 }],
      ['/v1/tenants/alice/secrets/api-token', { value: secretOfA, hosts: ['api.example.com'] }],
    ] as const) {
      const res = await call('PUT', path, admin, body);
      assert.equal(res.status, 201, `${path}: ${res.text}`);
    }
    const hook = await call('GET', '/v1/tenants/alice/functions/vault/webhook', admin);
    const token = hook.body.token as string;
    assert.match(token, /\S{16,}/);
    const bobKey = (await call('POST', '/v1/tenants/bob/keys', admin)).body.key as string;
    const bob = { authorization: `Bearer ${bobKey}`, 'content-type': 'application/json' };
    assert.equal((await call('GET', '/v1/tenants/bob/functions/vault', bob)).status, 200, "the control: bob's key works on bob's routes");

    const notFound: [string, string, string, unknown?][] = [
      ['GET', `/v1/tenants/bob/executions/${executionId}`, 'EXECUTION_NOT_FOUND'],
      ['GET', `/v1/tenants/bob/jobs/${jobId}`, 'JOB_NOT_FOUND'],
      ['POST', `/v1/tenants/bob/jobs/${jobId}/cancel`, 'JOB_NOT_FOUND', {}],
      ['POST', `/v1/tenants/bob/jobs/${jobId}/retry`, 'JOB_NOT_FOUND', {}],
      ['GET', '/v1/tenants/bob/schedules/nightly', 'SCHEDULE_NOT_FOUND'],
      ['GET', '/v1/tenants/bob/schedules/nightly/runs', 'SCHEDULE_NOT_FOUND'],
      ['DELETE', '/v1/tenants/bob/schedules/nightly', 'SCHEDULE_NOT_FOUND'],
      ['GET', '/v1/tenants/bob/secrets/api-token', 'SECRET_NOT_FOUND'],
      ['DELETE', '/v1/tenants/bob/secrets/api-token', 'SECRET_NOT_FOUND'],
    ];
    for (const [method, path, code, body] of notFound) {
      const res = await call(method, path, bob, body);
      assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
      assert.equal(res.body.error?.code, code, `${method} ${path}: ${res.text}`);
      // The same answer as for an id nobody has.
      const unknown = await call(method, path.replace(executionId, 'ex_01m00000000000000000000000').replace(jobId, 'job_01m00000000000000000000000'), bob, body);
      if (path.includes(executionId) || path.includes(jobId)) assert.equal(unknown.body.error?.code, code);
    }
    // Listing by A's ids: an empty list, or the cursor refused as naming nothing of bob's.
    const byJob = await call('GET', `/v1/tenants/bob/executions?job=${jobId}`, bob);
    assert.deepEqual([byJob.status, byJob.body.executions], [200, []]);
    for (const path of [`/v1/tenants/bob/executions?before=${executionId}`, `/v1/tenants/bob/jobs?before=${jobId}`]) {
      const res = await call('GET', path, bob);
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.equal(res.body.error?.code, 'VALIDATION_FAILED');
    }
    // A's webhook token on bob's function of the same name is refused like any wrong token.
    const delivery = await fetch(`${srv.url}/hooks/bob/vault/${token}`, { method: 'POST', body: 'x' });
    assert.equal(delivery.status, 404, await delivery.text());
    const bobJobs = await call('GET', '/v1/tenants/bob/jobs', bob);
    assert.deepEqual(bobJobs.body.jobs, []);
    // The operator's views stay the operator's.
    for (const path of ['/v1/tenants', '/v1/executions?status=failed', '/v1/tenants/alice']) {
      const res = await call('GET', path, bob);
      assert.equal(res.status, 403, `${path}: ${res.text}`);
      assert.equal(res.body.error?.code, 'FORBIDDEN');
    }
    // Nothing of A's changed: the job still runs, the schedule and the secret are there.
    const after = await call('GET', `/v1/tenants/alice/jobs/${jobId}`, admin);
    assert.equal(after.body.status, 'running');
    assert.equal(after.body.attempt ?? runningA.attempt, runningA.attempt);
    assert.equal((await call('GET', '/v1/tenants/alice/schedules/nightly', admin)).status, 200);
    assert.equal((await call('GET', '/v1/tenants/alice/secrets/api-token', admin)).status, 200);
    assert.equal((await call('POST', `/v1/tenants/alice/jobs/${jobId}/cancel`, admin, {})).body.status, 'cancelled');
  });
});
