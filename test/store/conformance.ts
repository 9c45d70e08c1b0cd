// The Store conformance suite: every Store implementation (SQLite now, Postgres later) runs it.
// Each test gets a fresh, isolated store from `makeStore` and cleans it up afterwards.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAirlockError } from '../../src/core/errors.js';
import type { ExecutionRecord } from '../../src/core/types.js';
import type { SecretRecord, Store, WebhookRecord } from '../../src/store/port.js';
import { executionPagingConformance } from './conformance-paging.js';
import { makeRecord, makeVersion, nextExecutionId } from './fixtures.js';

export interface StoreUnderTest {
  store: Store;
  /** Removes everything the store created (files, schema). */
  cleanup: () => Promise<void>;
  /** Closes nothing; opens a second store on the same data (for restart tests), if supported. */
  reopen?: () => Promise<Store>;
}

export function storeConformance(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  async function withStore(fn: (s: StoreUnderTest) => Promise<void>): Promise<void> {
    const s = await makeStore();
    try {
      await fn(s);
    } finally {
      await s.store.close();
      await s.cleanup();
    }
  }

  describe(`${name}: store conformance`, () => {
    describe('functions', () => {
      test('migrate is idempotent', () =>
        withStore(async ({ store }) => {
          await store.migrate();
          await store.migrate();
          assert.deepEqual(await store.listFunctions('acme'), []);
        }));

      test('an egress policy round-trips with its version; none stays absent', () =>
        withStore(async ({ store }) => {
          const egress = {
            allow: [{ host: '*.example.com', ports: [443], methods: ['GET'], pathPrefixes: ['/v1/'] }],
            limits: { requests: 5 },
          };
          const granted = makeVersion({ name: 'granted', egress });
          const plain = makeVersion({ name: 'plain' });
          await store.putFunctionVersion(granted);
          await store.putFunctionVersion(plain);
          assert.deepEqual((await store.getFunction('acme', 'granted'))?.egress, egress);
          const back = await store.getFunction('acme', 'plain');
          assert.equal(back !== undefined && 'egress' in back, false);
        }));

      test('put then get the latest and a named version', () =>
        withStore(async ({ store }) => {
          const v1 = makeVersion({ version: '1'.repeat(64), createdAt: 10 });
          assert.deepEqual(await store.putFunctionVersion(v1), { created: true });
          assert.deepEqual(await store.getFunction('acme', 'hello'), v1);
          assert.deepEqual(await store.getFunction('acme', 'hello', v1.version), v1);
          assert.equal(await store.getFunction('acme', 'hello', 'f'.repeat(64)), undefined);
          assert.equal(await store.getFunction('acme', 'nope'), undefined);
        }));

      test('the same version twice is not created again and keeps its first createdAt', () =>
        withStore(async ({ store }) => {
          const v1 = makeVersion({ createdAt: 10 });
          await store.putFunctionVersion(v1);
          assert.deepEqual(await store.putFunctionVersion({ ...v1, createdAt: 20 }), { created: false, previousLatest: v1.version });
          assert.equal((await store.getFunction('acme', 'hello'))?.createdAt, 10);
        }));

      test('a new version becomes the latest; re-putting an old one makes it latest again', () =>
        withStore(async ({ store }) => {
          const v1 = makeVersion({ version: '1'.repeat(64), createdAt: 10 });
          const v2 = makeVersion({ version: '2'.repeat(64), createdAt: 20, runtime: 'javascript' });
          assert.deepEqual(await store.putFunctionVersion(v1), { created: true }, 'a first deploy has no previous latest');
          assert.deepEqual(await store.putFunctionVersion(v2), { created: true, previousLatest: v1.version });
          assert.equal((await store.getFunction('acme', 'hello'))?.version, v2.version);
          assert.deepEqual(await store.getFunction('acme', 'hello', v1.version), v1);
          assert.deepEqual(await store.putFunctionVersion({ ...v1, createdAt: 30 }), { created: false, previousLatest: v2.version });
          assert.equal((await store.getFunction('acme', 'hello'))?.version, v1.version);
          const settings = { limits: v1.limits, isolation: 'tenant' };
          assert.deepEqual(await store.listVersions('acme', 'hello'), [
            { version: v2.version, runtime: 'javascript', ...settings, createdAt: 20 },
            { version: v1.version, runtime: 'typescript', ...settings, createdAt: 10 },
          ], 'newest first deployed first; a re-put keeps its first time');
          assert.deepEqual(await store.listVersions('acme', 'nope'), []);
        }));

      test('the version list carries the settings each version was deployed with, egress only where granted', () =>
        withStore(async ({ store }) => {
          const egress = { allow: [{ host: 'api.example.com' }] };
          const v1 = makeVersion({ version: '1'.repeat(64), createdAt: 10, limits: { ...makeVersion().limits, timeoutMs: 500 }, isolation: 'function' });
          const v2 = makeVersion({ version: '2'.repeat(64), createdAt: 20, egress });
          await store.putFunctionVersion(v1);
          await store.putFunctionVersion(v2);
          const [second, first] = await store.listVersions('acme', 'hello');
          assert.deepEqual(second, { version: v2.version, runtime: 'typescript', limits: v2.limits, isolation: 'tenant', egress, createdAt: 20 });
          assert.deepEqual(first, { version: v1.version, runtime: 'typescript', limits: v1.limits, isolation: 'function', createdAt: 10 });
        }));

      test('setLatestVersion moves the latest to an existing version only, and says what it was', () =>
        withStore(async ({ store }) => {
          const v1 = makeVersion({ version: '1'.repeat(64), createdAt: 10 });
          const v2 = makeVersion({ version: '2'.repeat(64), createdAt: 20 });
          await store.putFunctionVersion(v1);
          await store.putFunctionVersion(v2);
          assert.deepEqual(await store.setLatestVersion('acme', 'hello', v1.version, 30), { previousLatest: v2.version });
          assert.deepEqual(await store.getFunction('acme', 'hello'), v1, 'the version itself is unchanged (its createdAt included)');
          assert.deepEqual((await store.listFunctions('acme')).map((f) => [f.latestVersion, f.versions, f.updatedAt]), [[v1.version, 2, 30]]);
          // Already the latest: nothing written, not even the update time.
          assert.deepEqual(await store.setLatestVersion('acme', 'hello', v1.version, 40), { previousLatest: v1.version });
          assert.equal((await store.listFunctions('acme'))[0]!.updatedAt, 30);
          // No such version, function or tenant: undefined, and nothing changes.
          assert.equal(await store.setLatestVersion('acme', 'hello', 'f'.repeat(64), 50), undefined);
          assert.equal(await store.setLatestVersion('acme', 'nope', v1.version, 50), undefined);
          assert.equal(await store.setLatestVersion('other', 'hello', v1.version, 50), undefined);
          await store.putFunctionVersion(makeVersion({ name: 'sibling', version: '3'.repeat(64) }));
          assert.equal(await store.setLatestVersion('acme', 'hello', '3'.repeat(64), 50), undefined, "another function's version");
          assert.equal((await store.getFunction('acme', 'hello'))?.version, v1.version);
          // A new deploy moves it on as before, and says which one was the latest.
          assert.deepEqual(await store.putFunctionVersion({ ...v2, createdAt: 60 }), { created: false, previousLatest: v1.version });
        }));

      test('listFunctions: sorted by name, latest runtime, version count, tenant-scoped', () =>
        withStore(async ({ store }) => {
          await store.putFunctionVersion(makeVersion({ name: 'zeta', version: '1'.repeat(64), createdAt: 1 }));
          await store.putFunctionVersion(
            makeVersion({ name: 'zeta', version: '2'.repeat(64), createdAt: 2, runtime: 'javascript' }),
          );
          await store.putFunctionVersion(makeVersion({ name: 'alpha', createdAt: 3 }));
          await store.putFunctionVersion(makeVersion({ tenant: 'other', name: 'secret' }));
          assert.deepEqual(await store.listFunctions('acme'), [
            { tenant: 'acme', name: 'alpha', latestVersion: 'a'.repeat(64), runtime: 'typescript', versions: 1, updatedAt: 3 },
            { tenant: 'acme', name: 'zeta', latestVersion: '2'.repeat(64), runtime: 'javascript', versions: 2, updatedAt: 2 },
          ]);
          assert.deepEqual(await store.listFunctions('nobody'), []);
        }));

      test('functions are tenant-scoped', () =>
        withStore(async ({ store }) => {
          const v = makeVersion({ tenant: 'a' });
          await store.putFunctionVersion(v);
          assert.equal(await store.getFunction('b', 'hello'), undefined);
          assert.equal(await store.getFunction('b', 'hello', v.version), undefined);
          assert.equal(await store.deleteFunction('b', 'hello'), false);
          assert.deepEqual(await store.getFunction('a', 'hello'), v);
        }));

      test('delete removes every version; redeploy after delete works; executions stay', () =>
        withStore(async ({ store }) => {
          const v1 = makeVersion({ version: '1'.repeat(64) });
          const v2 = makeVersion({ version: '2'.repeat(64) });
          await store.putFunctionVersion(v1);
          await store.putFunctionVersion(v2);
          const rec = makeRecord({ version: v2.version });
          await store.insertExecutions([rec]);

          assert.equal(await store.deleteFunction('acme', 'hello'), true);
          assert.equal(await store.getFunction('acme', 'hello'), undefined);
          assert.equal(await store.getFunction('acme', 'hello', v1.version), undefined);
          assert.deepEqual(await store.listFunctions('acme'), []);
          assert.equal(await store.deleteFunction('acme', 'hello'), false);
          assert.deepEqual(await store.getExecution('acme', rec.id), rec);

          assert.deepEqual(await store.putFunctionVersion(v1), { created: true });
          assert.deepEqual(await store.getFunction('acme', 'hello'), v1);
          assert.equal(await store.getFunction('acme', 'hello', v2.version), undefined);
          assert.equal((await store.listFunctions('acme'))[0]?.versions, 1);
        }));

      test('concurrent puts of many versions leave one consistent latest', () =>
        withStore(async ({ store }) => {
          const versions = Array.from({ length: 20 }, (_, i) =>
            makeVersion({ version: i.toString(16).padStart(64, '0'), createdAt: i }),
          );
          await Promise.all(versions.map((v) => store.putFunctionVersion(v)));
          const latest = await store.getFunction('acme', 'hello');
          assert.ok(latest && versions.some((v) => v.version === latest.version));
          assert.equal((await store.listFunctions('acme'))[0]?.versions, 20);
        }));
    });

    describe('executions', () => {
      test('round-trips every field, with and without result, error, start, startedAt', () =>
        withStore(async ({ store }) => {
          const full = makeRecord({
            result: { nested: [1, 'two', { three: null }], unicode: 'héllo 😀', n: 1.5 },
            error: { type: 'TypeError', message: 'boom', stack: 'at x' },
            logs: [
              { ts: 1, level: 'stdout', msg: 'line\nwith newline' },
              { ts: 2, level: 'error', msg: '' },
            ],
            layers: ['namespaces', 'seccomp', 'cgroups', 'unprivileged-uid'],
            egress: [
              { method: 'GET', host: 'api.example.com', port: 443, path: '/v1', status: 200, bytesOut: 0, bytesIn: 12, durationMs: 3.5 },
              { method: 'POST', host: '10.0.0.1', port: 80, path: '/', status: null, bytesOut: 0, bytesIn: 0, durationMs: 0, error: 'EGRESS_DENIED' },
            ],
          });
          const rejected = makeRecord({ status: 'rejected', start: null, startedAt: null, durationMs: 0, logs: [], layers: [] });
          delete rejected.result;
          const nullResult = makeRecord({ result: null });
          const falsy = makeRecord({ result: 0 });
          const stringy = makeRecord({ result: 'text' });
          const all = [full, rejected, nullResult, falsy, stringy];
          await store.insertExecutions(all);
          for (const rec of all) assert.deepEqual(await store.getExecution('acme', rec.id), rec);
          const back = await store.getExecution('acme', rejected.id);
          assert.equal(back !== undefined && 'result' in back, false, 'an absent result stays absent');
          assert.equal((await store.getExecution('acme', nullResult.id))?.result, null);
          assert.equal(back !== undefined && 'egress' in back, false, 'no egress stays absent');
        }));

      test('an empty batch is a no-op', () =>
        withStore(async ({ store }) => {
          await store.insertExecutions([]);
          assert.deepEqual(await store.listExecutions('acme', { limit: 10 }), []);
        }));

      test('insert is idempotent on id', () =>
        withStore(async ({ store }) => {
          const rec = makeRecord();
          await store.insertExecutions([rec]);
          await store.insertExecutions([rec, makeRecord({ id: rec.id, status: 'failed' })]);
          assert.equal((await store.listExecutions('acme', { limit: 10 })).length, 1);
          assert.equal((await store.getExecution('acme', rec.id))?.status, 'succeeded');
        }));

      test('a batch with an unstorable record writes nothing and names the record', () =>
        withStore(async ({ store }) => {
          const good = makeRecord();
          const bad = makeRecord({ result: { big: 10n } });
          await assert.rejects(store.insertExecutions([good, bad]), (err: unknown) => {
            assert.ok(isAirlockError(err));
            assert.equal(err.code, 'VALIDATION_FAILED');
            assert.equal(err.details?.executionId, bad.id);
            return true;
          });
          assert.equal(await store.getExecution('acme', good.id), undefined);
        }));

      test("a tenant cannot read another tenant's execution", () =>
        withStore(async ({ store }) => {
          const rec = makeRecord({ tenant: 'b' });
          await store.insertExecutions([rec]);
          assert.equal(await store.getExecution('a', rec.id), undefined);
          assert.deepEqual(await store.getExecution('b', rec.id), rec);
          assert.deepEqual(await store.listExecutions('a', { limit: 10 }), []);
        }));

      test('prototype-poisoning keys in results are dropped on read, never applied', () =>
        withStore(async ({ store }) => {
          const result: unknown = JSON.parse('{"__proto__":{"polluted":true},"a":1}');
          const rec = makeRecord({ result });
          await store.insertExecutions([rec]);
          const back = await store.getExecution('acme', rec.id);
          assert.deepEqual(back?.result, { a: 1 });
          assert.equal(({} as Record<string, unknown>).polluted, undefined);
        }));

      test('list: newest first, filters, paging with before, limit', () =>
        withStore(async ({ store }) => {
          const recs: ExecutionRecord[] = [];
          for (let i = 0; i < 12; i++) {
            recs.push(
              makeRecord({
                function: i % 2 === 0 ? 'even' : 'odd',
                status: i % 3 === 0 ? 'failed' : 'succeeded',
              }),
            );
          }
          recs.push(makeRecord({ tenant: 'other', function: 'even' }));
          // Insert out of order: listing must sort by id, not insertion.
          await store.insertExecutions([...recs].reverse().slice(0, 5));
          await store.insertExecutions([...recs].reverse().slice(5));
          const mine = recs.filter((r) => r.tenant === 'acme').reverse();
          const ids = (list: ExecutionRecord[]) => list.map((r) => r.id);

          assert.deepEqual(ids(await store.listExecutions('acme', { limit: 100 })), ids(mine));
          assert.deepEqual(ids(await store.listExecutions('acme', { limit: 3 })), ids(mine.slice(0, 3)));
          assert.deepEqual(
            ids(await store.listExecutions('acme', { limit: 100, function: 'odd' })),
            ids(mine.filter((r) => r.function === 'odd')),
          );
          assert.deepEqual(
            ids(await store.listExecutions('acme', { limit: 100, status: 'failed' })),
            ids(mine.filter((r) => r.status === 'failed')),
          );
          assert.deepEqual(
            ids(await store.listExecutions('acme', { limit: 100, status: 'failed', function: 'even' })),
            ids(mine.filter((r) => r.status === 'failed' && r.function === 'even')),
          );
          // Page through with before.
          const paged: ExecutionRecord[] = [];
          let before: string | undefined;
          for (;;) {
            const page = await store.listExecutions('acme', { limit: 5, ...(before ? { before } : {}) });
            paged.push(...page);
            if (page.length < 5) break;
            before = page[page.length - 1]!.id;
          }
          assert.deepEqual(ids(paged), ids(mine));
          const cut = mine[4]!.id;
          assert.deepEqual(
            ids(await store.listExecutions('acme', { limit: 100, function: 'even', status: 'failed', before: cut })),
            ids(mine.slice(5).filter((r) => r.function === 'even' && r.status === 'failed')),
          );
          // A cursor that names no execution of the tenant lists nothing, whatever it sorts like.
          for (const unknown of ['ex_zzzz', 'ex_0000', mine[0]!.id + 'x']) {
            assert.deepEqual(await store.listExecutions('acme', { limit: 5, before: unknown }), [], unknown);
          }
          assert.deepEqual(await store.listExecutions('globex', { limit: 5, before: cut }), [], "another tenant's id is unknown here");
        }));

      test("list by job: a job's runs only, newest first, paged", () =>
        withStore(async ({ store }) => {
          const runs = [1, 2, 3].map(() => makeRecord({ tenant: 'acme', jobId: 'qi_one' }));
          const others = [makeRecord({ tenant: 'acme', jobId: 'qi_two' }), makeRecord({ tenant: 'acme' }), makeRecord({ tenant: 'globex', jobId: 'qi_one' })];
          await store.insertExecutions([runs[0]!, others[0]!, runs[1]!, others[1]!, runs[2]!, others[2]!]);
          const ids = (recs: { id: string }[]) => recs.map((r) => r.id);
          assert.deepEqual(ids(await store.listExecutions('acme', { limit: 10, job: 'qi_one' })), ids([...runs].reverse()));
          assert.deepEqual(ids(await store.listExecutions('acme', { limit: 10, job: 'qi_one', before: runs[2]!.id })), ids([runs[1]!, runs[0]!]));
          assert.deepEqual(await store.listExecutions('acme', { limit: 10, job: 'qi_none' }), []);
        }));

      test('list across tenants: one unsucceeded status of every tenant, newest first, by function, paged', () =>
        withStore(async ({ store }) => {
          const recs = [
            makeRecord({ tenant: 'acme', status: 'timeout', function: 'a' }),
            makeRecord({ tenant: 'globex', status: 'timeout', function: 'b' }),
            makeRecord({ tenant: 'acme', status: 'failed', function: 'a' }),
            makeRecord({ tenant: 'initech', status: 'timeout', function: 'a' }),
            makeRecord({ tenant: 'globex', status: 'succeeded', function: 'a' }),
            makeRecord({ tenant: 'acme', status: 'timeout', function: 'b' }),
          ];
          await store.insertExecutions([...recs].reverse());
          const ids = (list: { id: string }[]) => list.map((r) => r.id);
          const timeouts = recs.filter((r) => r.status === 'timeout').reverse();
          assert.deepEqual(ids(await store.listAllExecutions({ status: 'timeout', limit: 10 })), ids(timeouts));
          assert.deepEqual(ids(await store.listAllExecutions({ status: 'timeout', function: 'a', limit: 10 })), ids(timeouts.filter((r) => r.function === 'a')));
          assert.deepEqual(ids(await store.listAllExecutions({ status: 'timeout', limit: 2 })), ids(timeouts.slice(0, 2)));
          assert.deepEqual(ids(await store.listAllExecutions({ status: 'timeout', limit: 10, before: timeouts[1]!.id })), ids(timeouts.slice(2)));
          assert.deepEqual(await store.listAllExecutions({ status: 'oom', limit: 10 }), []);
          // A cursor that names no execution with that status lists nothing.
          assert.deepEqual(await store.listAllExecutions({ status: 'timeout', limit: 10, before: recs[2]!.id }), []);
          assert.deepEqual(await store.listAllExecutions({ status: 'timeout', limit: 10, before: 'ex_zzzz' }), []);
        }));

      test('a large batch lands whole', () =>
        withStore(async ({ store }) => {
          const batch = Array.from({ length: 1_000 }, () => makeRecord({ tenant: 'bulk' }));
          await store.insertExecutions(batch);
          assert.equal((await store.listExecutions('bulk', { limit: 5_000 })).length, 1_000);
          assert.equal((await store.listExecutions('bulk', { limit: 1 }))[0]?.id, batch[999]!.id);
        }));

      executionPagingConformance(withStore);
    });

    describe('versions by prefix', () => {
      test("findVersions: the function's versions a prefix starts, in order, at most max", () =>
        withStore(async ({ store }) => {
          const versions = ['ab12cd34' + '0'.repeat(56), 'ab12cd34' + 'f'.repeat(56), 'ab12cd35' + '0'.repeat(56), 'ab12cd3' + '9'.repeat(57)];
          for (const version of versions) await store.putFunctionVersion(makeVersion({ name: 'f', version }));
          await store.putFunctionVersion(makeVersion({ name: 'g', version: 'ab12cd34' + '1'.repeat(56) }));
          await store.putFunctionVersion(makeVersion({ tenant: 'globex', name: 'f', version: 'ab12cd34' + '2'.repeat(56) }));
          assert.deepEqual(await store.findVersions('acme', 'f', 'ab12cd34', 10), [versions[0], versions[1]]);
          assert.deepEqual(await store.findVersions('acme', 'f', 'ab12cd34', 1), [versions[0]]);
          assert.deepEqual(await store.findVersions('acme', 'f', 'ab12cd3', 10), [versions[0], versions[1], versions[2], versions[3]]);
          assert.deepEqual(await store.findVersions('acme', 'f', versions[2]!, 10), [versions[2]], 'a whole hash names itself');
          assert.deepEqual(await store.findVersions('acme', 'f', 'ab12cd36', 10), []);
          assert.deepEqual(await store.findVersions('acme', 'nope', 'ab12cd34', 10), []);
          assert.deepEqual(await store.findVersions('acme', 'f', '', 10), []);
          await store.deleteFunction('acme', 'f');
          assert.deepEqual(await store.findVersions('acme', 'f', 'ab12cd34', 10), [], 'a deleted function has none');
        }));
    });

    describe('api keys and meta', () => {
      test('put, find by hash, list per tenant, delete scoped to tenant', () =>
        withStore(async ({ store }) => {
          const admin = { id: 'key_admin', tenant: null, hash: 'h0', createdAt: 1 };
          const k1 = { id: 'key_1', tenant: 'acme', hash: 'h1', createdAt: 2 };
          const k2 = { id: 'key_2', tenant: 'acme', hash: 'h2', createdAt: 3 };
          const other = { id: 'key_3', tenant: 'other', hash: 'h3', createdAt: 4 };
          for (const k of [admin, k1, k2, other]) await store.putApiKey(k);
          assert.deepEqual(await store.findApiKeyByHash('h0'), admin);
          assert.deepEqual(await store.findApiKeyByHash('h2'), k2);
          assert.equal(await store.findApiKeyByHash('nope'), undefined);
          assert.deepEqual(await store.listApiKeys('acme'), [k1, k2]);
          assert.equal(await store.deleteApiKey('other', 'key_1'), false);
          assert.equal(await store.deleteApiKey('acme', 'key_1'), true);
          assert.equal(await store.deleteApiKey('acme', 'key_1'), false);
          assert.equal(await store.findApiKeyByHash('h1'), undefined);
          assert.deepEqual(await store.listApiKeys('acme'), [k2]);
        }));

      test('a duplicate key hash is refused', () =>
        withStore(async ({ store }) => {
          await store.putApiKey({ id: 'key_1', tenant: 'acme', hash: 'same', createdAt: 1 });
          await assert.rejects(store.putApiKey({ id: 'key_2', tenant: 'acme', hash: 'same', createdAt: 2 }));
          assert.equal((await store.findApiKeyByHash('same'))?.id, 'key_1');
        }));

      test('meta get and overwrite', () =>
        withStore(async ({ store }) => {
          assert.equal(await store.getMeta('instance'), undefined);
          await store.setMeta('instance', 'one');
          await store.setMeta('instance', 'two');
          assert.equal(await store.getMeta('instance'), 'two');
        }));
    });

    describe('secrets', () => {
      const sealed = (fill: number): Buffer => Buffer.alloc(40, fill);
      const secret = (over: Partial<SecretRecord> = {}): SecretRecord => ({
        tenant: 'acme', name: 'api-token', hosts: ['api.example.com', '*.example.org'],
        sealed: sealed(1), createdAt: 10, updatedAt: 10, ...over,
      });

      test('put creates, get returns the sealed bytes and hosts as stored', () =>
        withStore(async ({ store }) => {
          const s = secret();
          const put = await store.putSecret(s);
          assert.equal(put.created, true);
          assert.deepEqual(put.meta, { tenant: 'acme', name: 'api-token', hosts: s.hosts, createdAt: 10, updatedAt: 10 });
          const back = await store.getSecret('acme', 'api-token');
          assert.ok(back);
          assert.ok(Buffer.isBuffer(back.sealed));
          assert.deepEqual(back, s);
          assert.equal(await store.getSecret('acme', 'other'), undefined);
          assert.equal(await store.getSecret('globex', 'api-token'), undefined);
        }));

      test('put over an existing secret replaces value and hosts, keeps createdAt', () =>
        withStore(async ({ store }) => {
          await store.putSecret(secret());
          const put = await store.putSecret(secret({ hosts: ['b.example.com'], sealed: sealed(2), createdAt: 50, updatedAt: 50 }));
          assert.equal(put.created, false);
          assert.equal(put.meta.createdAt, 10);
          assert.equal(put.meta.updatedAt, 50);
          const back = await store.getSecret('acme', 'api-token');
          assert.deepEqual(back, secret({ hosts: ['b.example.com'], sealed: sealed(2), createdAt: 10, updatedAt: 50 }));
        }));

      test('list gives metadata only, by name, for one tenant; count agrees', () =>
        withStore(async ({ store }) => {
          await store.putSecret(secret({ name: 'zeta' }));
          await store.putSecret(secret({ name: 'alpha', updatedAt: 11 }));
          await store.putSecret(secret({ tenant: 'globex', name: 'mid' }));
          const list = await store.listSecrets('acme');
          assert.deepEqual(list.map((m) => m.name), ['alpha', 'zeta']);
          for (const m of list) assert.equal('sealed' in m, false);
          assert.equal(list[0]?.updatedAt, 11);
          assert.equal(await store.countSecrets('acme'), 2);
          assert.equal(await store.countSecrets('globex'), 1);
          assert.deepEqual(await store.listSecrets('nobody'), []);
          assert.equal(await store.countSecrets('nobody'), 0);
        }));

      test('allSecrets returns every tenant\'s secrets with their sealed bytes, by tenant and name', () =>
        withStore(async ({ store }) => {
          assert.deepEqual(await store.allSecrets(), []);
          const b = secret({ tenant: 'globex', name: 'a', sealed: sealed(3) });
          const a2 = secret({ name: 'zz', sealed: sealed(2) });
          const a1 = secret({ name: 'aa' });
          for (const s of [b, a2, a1]) await store.putSecret(s);
          assert.deepEqual(await store.allSecrets(), [a1, a2, b]);
        }));

      test('delete removes one secret of one tenant only', () =>
        withStore(async ({ store }) => {
          await store.putSecret(secret());
          await store.putSecret(secret({ tenant: 'globex' }));
          assert.equal(await store.deleteSecret('acme', 'api-token'), true);
          assert.equal(await store.deleteSecret('acme', 'api-token'), false);
          assert.equal(await store.getSecret('acme', 'api-token'), undefined);
          assert.ok(await store.getSecret('globex', 'api-token'));
        }));

      test('a reopened store still has the secret', () =>
        withStore(async (s) => {
          if (!s.reopen) return;
          const rec = secret();
          await s.store.putSecret(rec);
          await s.store.close();
          const again = await s.reopen();
          try {
            await again.migrate();
            assert.deepEqual(await again.getSecret('acme', 'api-token'), rec);
          } finally {
            await again.close();
          }
        }));
    });

    describe('webhooks', () => {
      const hook = (over: Partial<WebhookRecord> = {}): WebhookRecord => ({
        tenant: 'acme',
        function: 'hello',
        tokenHash: Buffer.alloc(32, 1),
        sealed: Buffer.from('sealed-1'),
        createdAt: 10,
        ...over,
      });

      test('create stores once; a second create keeps the first token', () =>
        withStore(async ({ store }) => {
          assert.equal(await store.getWebhook('acme', 'hello'), undefined);
          assert.deepEqual(await store.createWebhook(hook()), { created: true, record: hook() });
          const again = await store.createWebhook(hook({ tokenHash: Buffer.alloc(32, 2), sealed: Buffer.from('other'), createdAt: 20 }));
          assert.deepEqual(again, { created: false, record: hook() });
          assert.deepEqual(await store.getWebhook('acme', 'hello'), hook());
          assert.equal(await store.getWebhook('globex', 'hello'), undefined, 'scoped to the tenant');
        }));

      test('replace swaps the token of an existing webhook only', () =>
        withStore(async ({ store }) => {
          const next = hook({ tokenHash: Buffer.alloc(32, 3), sealed: Buffer.from('sealed-2'), createdAt: 30 });
          assert.equal(await store.replaceWebhook(next), false, 'nothing to replace');
          assert.equal(await store.getWebhook('acme', 'hello'), undefined);
          await store.createWebhook(hook());
          assert.equal(await store.replaceWebhook(next), true);
          assert.deepEqual(await store.getWebhook('acme', 'hello'), next);
        }));

      test('deleting the function deletes its webhook', () =>
        withStore(async ({ store }) => {
          await store.putFunctionVersion(makeVersion());
          await store.createWebhook(hook());
          await store.createWebhook(hook({ function: 'other' }));
          assert.equal(await store.deleteFunction('acme', 'hello'), true);
          assert.equal(await store.getWebhook('acme', 'hello'), undefined);
          assert.ok(await store.getWebhook('acme', 'other'), 'another function keeps its own');
        }));
    });

    describe('restart', () => {
      test('a reopened store sees everything that was written', () =>
        withStore(async (s) => {
          if (!s.reopen) return;
          const v = makeVersion();
          const rec = makeRecord({ id: nextExecutionId() });
          await s.store.putFunctionVersion(v);
          await s.store.insertExecutions([rec]);
          await s.store.putApiKey({ id: 'key_1', tenant: 'acme', hash: 'h1', createdAt: 1 });
          await s.store.setMeta('k', 'v');
          await s.store.close();
          const again = await s.reopen();
          try {
            await again.migrate();
            assert.deepEqual(await again.getFunction('acme', 'hello'), v);
            assert.deepEqual(await again.getExecution('acme', rec.id), rec);
            assert.equal((await again.findApiKeyByHash('h1'))?.id, 'key_1');
            assert.equal(await again.getMeta('k'), 'v');
          } finally {
            await again.close();
          }
        }));
    });
  });
}
