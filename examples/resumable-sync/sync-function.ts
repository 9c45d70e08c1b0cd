// The job function of the resumable-sync example: pages through a paged HTTP API with ctx.fetch,
// saving its cursor and running totals after every page with ctx.checkpoint.save. When its slice
// ends (maxRunMs), its sandbox crashes or the server restarts, the next slice starts from the last
// saved cursor: no page is lost and at most one page is fetched twice. Its ctx is typed with the
// function author's declarations (in a project of your own: `airlock types > airlock.d.ts`, then
// import from './airlock.js'); the deploy removes the `import type`.
import type { JobContext, WithEgress } from '../../types/airlock.js';

interface State {
  cursor: string | null;
  pages: number;
  items: number;
  total: number;
}

interface Page {
  items: { id: number; amount: number }[];
  next: string | null;
}

export default async function (input: { api: string }, ctx: WithEgress<JobContext<State>>) {
  let state: State = ctx.checkpoint.get() ?? { cursor: '0', pages: 0, items: 0, total: 0 };
  if (state.pages > 0) ctx.log.info(`resuming after page ${state.pages} (cursor ${state.cursor})`);
  while (state.cursor !== null) {
    const res = await ctx.fetch(`${input.api}/items?cursor=${encodeURIComponent(state.cursor)}`);
    if (!res.ok) throw new Error(`the API answered ${res.status} for cursor ${state.cursor}`);
    const page = (await res.json()) as Page;
    state = {
      cursor: page.next,
      pages: state.pages + 1,
      items: state.items + page.items.length,
      total: state.total + page.items.reduce((sum, item) => sum + item.amount, 0),
    };
    // Durable once it resolves: a later slice continues from here.
    await ctx.checkpoint.save(state);
  }
  return { pages: state.pages, items: state.items, total: state.total };
}
