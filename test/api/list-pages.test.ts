// Pages of executions and jobs bounded by size (AIRLOCK_LIST_PAGE_BYTES), against a real server:
// with results around and above the budget, paging on with `next` lists every record exactly
// once, newest first; each page's records before its last stay under the budget (so a page is at
// most the budget plus one record); a record larger than the budget ends its page (alone when it
// starts one); and a page cut by size says there is more even with fewer records than `limit`.
// The CLI's `more:` line follows it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsonBytes } from '../../src/core/page-budget.js';
import { runCli } from '../support/process.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, finished, submit, waitJob } from './jobs-support.js';

const BUDGET = 16 * 1024;
/** Result sizes (characters) of the runs, oldest first: under, around and over the budget. */
const SIZES = [3_000, 20_000, 6_000, 9_000, 2_000, 40_000, 5_000, 5_000, 5_000, 1_000, 12_000];

interface Page<T> {
  items: T[];
  next: string | null;
}

/** Every page of `path` (newest first), following `next` until it is null. */
async function allPages<T extends { id: string }>(server: TestServer, path: string, key: 'executions' | 'jobs'): Promise<Page<T>[]> {
  const pages: Page<T>[] = [];
  let next: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res: { status: number; body: any } = await server.request('GET', `${path}${next === null ? '' : `${sep}before=${next}`}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    pages.push({ items: res.body[key] as T[], next: res.body.next as string | null });
    next = res.body.next as string | null;
    assert.ok(pages.length <= 2 * SIZES.length + 2, 'paging ends');
  } while (next !== null);
  return pages;
}

/** Each page holds at most the budget plus one record: the records before its last stay under it. */
function assertBounded(pages: Page<{ id: string }>[]): void {
  for (const page of pages) {
    const sizes = page.items.map((item) => jsonBytes(item));
    const beforeLast = sizes.slice(0, -1).reduce((a, b) => a + b, 0);
    assert.ok(beforeLast < BUDGET, `a page's records before its last take ${beforeLast} bytes, not under ${BUDGET}`);
    if (page.items.length > 0 && page.items.length < 500) {
      // A page that stopped before its limit stopped at the budget, or at the list's end.
      const total = beforeLast + sizes.at(-1)!;
      assert.ok(total >= BUDGET || page.next === null, 'a short page with more after it is one that reached the budget');
    }
  }
}

describe('list pages bounded by size', () => {
  let server: TestServer;
  const executions: string[] = []; // newest first
  const jobs: string[] = []; // newest first
  before(async () => {
    server = await startTestServer({ ...FAST_JOBS, AIRLOCK_LIST_PAGE_BYTES: String(BUDGET) });
    await deploy(server, 'acme', 'big', 'export default (n) => "x".repeat(n)');
    await deploy(server, 'acme', 'bigjob', 'export default (n) => "y".repeat(n)');
    for (const n of SIZES) {
      const res = await invoke(server, 'acme', 'big', n);
      assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body.error));
      executions.unshift(res.body.executionId as string);
    }
    for (const n of SIZES.slice(0, 6)) jobs.unshift(await submit(server, 'acme', 'bigjob', { input: n }));
    for (const id of jobs) assert.equal((await waitJob(server, 'acme', id, finished)).status, 'succeeded');
  });
  after(() => server.close());

  it('executions: every record exactly once across pages, each page within the budget plus one record', async () => {
    const pages = await allPages<{ id: string; result: string }>(server, '/v1/tenants/acme/executions?function=big&limit=500', 'executions');
    assert.deepEqual(pages.flatMap((p) => p.items.map((e) => e.id)), executions, 'each record once, newest first');
    assert.ok(pages.length >= 4, `several pages, not ${pages.length}`);
    assertBounded(pages);
    for (const page of pages) {
      const over = page.items.findIndex((e) => jsonBytes(e) >= BUDGET);
      if (over >= 0) assert.equal(over, page.items.length - 1, 'a record larger than the budget ends its page');
    }
    const alone = pages.find((p) => p.items[0]?.result.length === 20_000);
    assert.equal(alone?.items.length, 1, 'a record larger than the budget at the start of a page comes alone');
    assert.ok(pages.some((p) => p.items.length > 1), 'smaller records share a page');
    for (const page of pages) for (const e of page.items) assert.equal(typeof e.result, 'string', 'items stay full records');
  });

  it('a page cut by size says there is more, even under its limit', async () => {
    const res = await server.request('GET', '/v1/tenants/acme/executions?function=big&limit=5');
    // The newest results, 12 000, 1 000 and 5 000 characters, reach 16 KiB with the third.
    assert.deepEqual(res.body.executions.map((e: { id: string }) => e.id), executions.slice(0, 3));
    assert.equal(res.body.next, executions[2]);
  });

  it('jobs: every job exactly once across pages, each page within the budget plus one job', async () => {
    const pages = await allPages<{ id: string }>(server, '/v1/tenants/acme/jobs?limit=500', 'jobs');
    assert.deepEqual(pages.flatMap((p) => p.items.map((j) => j.id)), jobs);
    assert.ok(pages.length >= 3, `several pages, not ${pages.length}`);
    assertBounded(pages);
  });

  it('the CLI prints the next page command under a page cut by size, and following it walks every record', async () => {
    const env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    let args = ['executions', 'acme', '--function', 'big'];
    const seen: string[] = [];
    for (let n = 0; n < 2 * SIZES.length + 2; n++) {
      const r = await runCli(args, env);
      assert.equal(r.code, 0, r.stderr);
      seen.push(...r.stdout.trimEnd().split('\n').slice(1).map((line) => line.split(/\s+/)[0]!));
      const more = /^more: airlock (.+)\n$/.exec(r.stderr);
      if (more === null) break;
      args = more[1]!.split(' ');
    }
    assert.deepEqual(seen, executions);
  });
});
