// types/airlock.d.ts as a tenant developer's strict `tsc` sees it: a function that uses every
// member of ctx type-checks with no error (beside the printed file, and from the installed
// package's `airlock/types` under each module resolution), and misuses are errors, each on its
// own line: unknown members, wrong types, members that only some runs have, assignments to
// read-only members, a checkpoint of the wrong shape. The typed examples of README.md and docs/
// and examples/ type-check as printed.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { NODE_OPTIONS, PACKAGE_ROOT, TYPES_FILE, compile } from '../support/declarations.js';

/** Uses every member of every type the file declares. */
const EVERY_MEMBER = `import type { Checkpoint, Context, Fetch, Handler, JobContext, JobInfo, JobSource, Log, WithEgress } from './airlock.js';

interface State { cursor: string | null; pages: number }

function describeSource(source: JobSource): string {
  switch (source.kind) {
    case 'api': return 'api';
    case 'webhook': return \`delivery \${source.deliveryId}\`;
    case 'schedule': return \`\${source.schedule} at \${new Date(source.occurrenceAt).toISOString()}\`;
  }
}

export default async function (input: { api: string }, ctx: WithEgress<JobContext<State>>): Promise<unknown> {
  const id: string = ctx.executionId;
  const where: string = \`\${ctx.tenant}/\${ctx.function}\`;
  const left: number = ctx.deadline - Date.now();
  const signal: AbortSignal = ctx.signal;
  ctx.log.debug('start', id, where, left);
  ctx.log.info({ where });
  ctx.log.warn('slow');
  ctx.log.error(new Error('x'));
  const job: JobInfo = ctx.job;
  const attempts: [number, number] = [job.attempt, job.maxAttempts];
  const key: string | undefined = job.idempotencyKey;
  const retried: number | undefined = job.retriedAt;
  ctx.log.info(describeSource(job.source), job.id, job.createdAt, attempts, key, retried);
  let state: State = ctx.checkpoint.get() ?? { cursor: '0', pages: 0 };
  while (state.cursor !== null) {
    const res: Response = await ctx.fetch(\`\${input.api}?cursor=\${state.cursor}\`, { signal });
    const page = (await res.json()) as { next: string | null };
    state = { cursor: page.next, pages: state.pages + 1 };
    await ctx.checkpoint.save(state);
  }
  return { pages: state.pages };
}

/** An invocation that works with and without egress, and only in some runs with a job. */
export async function handler(input: unknown, ctx: Context): Promise<unknown> {
  const fetcher: Fetch | undefined = ctx.fetch;
  const checkpoint: Checkpoint | undefined = ctx.checkpoint;
  const log: Log = ctx.log;
  if (ctx.fetch !== undefined) log.info((await ctx.fetch(new URL('https://api.example.com/v1/x'))).status);
  if (ctx.job !== undefined) log.info(ctx.job.id, ctx.checkpoint?.get());
  return { input, fetcher: typeof fetcher, checkpoint: typeof checkpoint };
}

export const hello: Handler<{ name: string }, { hello: string; tenant: string }> = async (input, ctx) => ({ hello: input.name, tenant: ctx.tenant });
export const sync: Handler<unknown, number, JobContext<number>> = (input, ctx) => ctx.checkpoint.get() ?? 0;
const widened: Context = {} as WithEgress<JobContext<State>>;
void widened;
`;

/** Each line that ends in `// error` must have an error, and no other line may. */
const MISUSES = `import type { Context, Handler, JobContext } from './airlock.js';

export default async function (input: unknown, ctx: Context, job: JobContext<{ cursor: string }>) {
  ctx.log.nope('x'); // error
  ctx.deadline.toUpperCase(); // error
  await ctx.fetch('https://api.example.com/'); // error
  ctx.checkpoint.get(); // error
  ctx.job.attempt; // error
  ctx.tenant = 'other'; // error
  ctx.signal.abort(); // error
  const late: string = ctx.executionId.length; // error
  await job.checkpoint.save({ cursor: 1 }); // error
  const cursor: number | undefined = job.checkpoint.get()?.cursor; // error
  job.job.attempt = 2; // error
  if (job.job.source.kind === 'webhook') job.job.source.occurrenceAt; // error
  if (job.job.source.kind === 'lambda') return; // error
  return { late, cursor };
}

export const h: Handler<{ a: number }> = async (input) => input.b; // error
`;

const linesWithErrorMark = (source: string): number[] =>
  source.split('\n').flatMap((line, i) => (line.endsWith('// error') ? [i + 1] : []));

describe('types/airlock.d.ts under tsc --strict', () => {
  it('type-checks a function that uses every member of ctx, beside the printed airlock.d.ts', () => {
    compile({ 'fn.ts': EVERY_MEMBER }, ({ diagnostics }) => {
      assert.deepEqual(diagnostics, []);
    });
  });

  it('type-checks it with the DOM lib instead of @types/node', () => {
    const dom: ts.CompilerOptions = { ...NODE_OPTIONS, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] };
    compile({ 'fn.ts': EVERY_MEMBER }, ({ diagnostics }) => {
      assert.deepEqual(diagnostics, []);
    }, dom);
  });

  it('makes each misuse an error on its own line, and nothing else', () => {
    compile({ 'fn.ts': MISUSES }, ({ diagnostics }) => {
      const lines = [...new Set(diagnostics.map((d) => { assert.equal(d.file, 'fn.ts', JSON.stringify(d)); return d.line; }))];
      assert.deepEqual(lines, linesWithErrorMark(MISUSES), JSON.stringify(diagnostics, null, 2));
      const unknownMember = diagnostics.find((d) => d.line === 4);
      assert.match(unknownMember!.message, /Property 'nope' does not exist on type 'Log'/);
      assert.match(diagnostics.find((d) => d.line === 6)!.message, /possibly 'undefined'/, 'ctx.fetch is only on runs granted egress');
      assert.match(diagnostics.find((d) => d.line === 9)!.message, /read-only/);
    });
  });

  const resolutions: [string, ts.CompilerOptions][] = [
    ['nodenext', NODE_OPTIONS],
    ['bundler', { ...NODE_OPTIONS, module: ts.ModuleKind.Preserve, moduleResolution: ts.ModuleResolutionKind.Bundler }],
    ['node10', { ...NODE_OPTIONS, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 }],
  ];
  for (const [name, options] of resolutions) {
    it(`resolves 'airlock/types' from the installed package (moduleResolution ${name}) to the same file`, () => {
      const source = EVERY_MEMBER.replace("from './airlock.js'", "from 'airlock/types'");
      compile({ 'fn.ts': source }, ({ program, dir, diagnostics }) => {
        assert.deepEqual(diagnostics, []);
        const declarations = program.getSourceFiles().filter((sf) => /airlock\.d\.ts$/.test(sf.fileName)).map((sf) => realpathSync(sf.fileName));
        assert.deepEqual(declarations, [realpathSync(TYPES_FILE)], `not the copy in ${dir}: the package's own file`);
      }, options, true);
    });
  }
});

/**
 * The TypeScript of a markdown file that imports from './airlock.js': ```ts blocks, and files a
 * shell block writes with `cat > x.ts <<'TAG'`; blocks with an elision (…) are left out.
 */
function typedExamples(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const heredocs = [...markdown.matchAll(/cat > \S+\.ts <<'(\w+)'\n([\s\S]*?)\n\1\n/g)].map((m) => m[2]!);
  return [...blocks, ...heredocs].filter((code) => code.includes("from './airlock.js'") && !code.includes('…'));
}

describe('the typed examples of the documentation', () => {
  it('type-check as printed, beside airlock.d.ts', () => {
    const docs = ['README.md', ...readdirSync(join(PACKAGE_ROOT, 'docs')).map((f) => join('docs', f))];
    const files: Record<string, string> = {};
    for (const doc of docs) {
      typedExamples(readFileSync(join(PACKAGE_ROOT, doc), 'utf8')).forEach((code, i) => {
        files[`${doc.replace(/\W/g, '-')}-${i + 1}.ts`] = code;
      });
    }
    for (const doc of ['README-md', 'docs-jobs-md', 'docs-egress-md', 'docs-schedules-md', 'docs-webhooks-md']) {
      assert.ok(Object.keys(files).some((name) => name.startsWith(`${doc}-`)), `typed examples found in ${doc}`);
    }
    compile(files, ({ diagnostics }) => {
      assert.deepEqual(diagnostics, []);
    });
  });

  it('examples/resumable-sync/sync-function.ts type-checks where it is', () => {
    const program = ts.createProgram([join(PACKAGE_ROOT, 'examples', 'resumable-sync', 'sync-function.ts')], NODE_OPTIONS);
    const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || !d.file.fileName.includes('/node_modules/'));
    assert.deepEqual(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), []);
  });
});
