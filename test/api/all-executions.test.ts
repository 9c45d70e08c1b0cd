// GET /v1/executions: the operator's list of executions across tenants, on a real server with real
// sandboxes and SQLite: one unsucceeded status of every tenant, newest first, by function, paged
// with next/before, or one tenant with any filter; admin key only; a list that the index cannot
// serve (no status, or succeeded, across tenants) is a 400 that says what to add.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

type Page = { executions: { id: string; tenant: string; function: string; status: string }[]; next: string | null };

describe('GET /v1/executions', () => {
  let server: TestServer;
  const failed: { id: string; tenant: string; function: string }[] = []; // newest first
  let succeeded = '';

  before(async () => {
    server = await startTestServer();
    for (const tenant of ['acme', 'globex']) {
      await deploy(server, tenant, 'boom', "export default () => { throw new Error('x') }");
      await deploy(server, tenant, 'bang', "export default () => { throw new Error('y') }");
      await deploy(server, tenant, 'ok', 'export default () => 1');
    }
    for (const [tenant, fn] of [['acme', 'boom'], ['globex', 'boom'], ['acme', 'bang'], ['globex', 'bang'], ['acme', 'boom']] as const) {
      const res = await invoke(server, tenant, fn, null);
      assert.equal(res.body.status, 'failed');
      failed.unshift({ id: res.body.executionId, tenant, function: fn });
    }
    succeeded = (await invoke(server, 'globex', 'ok', null)).body.executionId;
  });
  after(async () => server.close());

  const list = (query: string, key?: string) => server.request<Page>('GET', `/v1/executions${query}`, undefined, key);
  const view = (page: Page) => page.executions.map((e) => ({ id: e.id, tenant: e.tenant, function: e.function }));

  it('lists one status of every tenant, newest first, and by function', async () => {
    const all = await list('?status=failed');
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.deepEqual([view(all.body), all.body.next], [failed, null]);
    assert.ok(all.body.executions.every((e) => e.status === 'failed'));
    const boom = await list('?status=failed&function=boom');
    assert.deepEqual(view(boom.body), failed.filter((e) => e.function === 'boom'));
    assert.deepEqual((await list('?status=timeout')).body, { executions: [], next: null });
  });

  it('pages with next and before', async () => {
    const seen: string[] = [];
    let query = '?status=failed&limit=2';
    for (let pages = 0; pages < 10; pages++) {
      const page = (await list(query)).body;
      seen.push(...page.executions.map((e) => e.id));
      if (page.next === null) break;
      query = `?status=failed&limit=2&before=${page.next}`;
    }
    assert.deepEqual(seen, failed.map((e) => e.id));
  });

  it('with tenant= lists that tenant with any filter, succeeded included', async () => {
    const mine = await list('?tenant=globex&status=succeeded');
    assert.deepEqual(mine.body.executions.map((e) => e.id), [succeeded]);
    const theirs = await list('?tenant=acme&status=failed&function=boom');
    assert.deepEqual(view(theirs.body), failed.filter((e) => e.tenant === 'acme' && e.function === 'boom'));
  });

  it('across tenants, a status is needed and succeeded is not listed: a 400 saying what to add', async () => {
    for (const query of ['', '?status=succeeded', '?function=boom']) {
      const res = await list(query);
      assert.equal(res.status, 400, query);
      assert.equal((res.body as unknown as { error: { code: string } }).error.code, 'VALIDATION_FAILED');
      assert.match(JSON.stringify(res.body), /needs status= one of failed, timeout, oom, killed, rejected.*tenant=/);
    }
  });

  it('refuses tenant keys, even for their own tenant', async () => {
    const key = (await server.request('POST', '/v1/tenants/acme/keys')).body.key as string;
    for (const query of ['?status=failed', '?tenant=acme&status=failed']) {
      const res = await list(query, key);
      assert.equal(res.status, 403, query);
      const error = (res.body as unknown as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'FORBIDDEN');
      // It says what was refused and what the key can do instead, for its own tenant.
      assert.equal(
        error.message,
        "only the admin key can list executions across tenants; a tenant key lists its own tenant's: " +
          'GET /v1/tenants/acme/executions?status=… (airlock executions acme --status …)',
      );
    }
  });
});

describe('GET /v1/executions within the list byte budget', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AIRLOCK_LIST_PAGE_BYTES: '4096' });
    await deploy(server, 'acme', 'loud', "export default () => { console.log('x'.repeat(1500)); throw new Error('loud') }");
  });
  after(async () => server.close());

  it('stops a page once its records reach AIRLOCK_LIST_PAGE_BYTES and pages on with next, every record once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.unshift((await invoke(server, 'acme', 'loud', null)).body.executionId);
    const seen: string[] = [];
    let before = '';
    let pages = 0;
    for (;;) {
      const page = await server.request<Page>('GET', `/v1/executions?status=failed&limit=500${before}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      pages++;
      assert.ok(page.body.executions.length < 6, 'a page stops at the budget, far below the limit');
      seen.push(...page.body.executions.map((e) => e.id));
      if (page.body.next === null) break;
      before = `&before=${page.body.next}`;
    }
    assert.deepEqual(seen, ids);
    assert.ok(pages >= 2, `${pages} pages`);
  });
});
