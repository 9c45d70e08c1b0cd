// Stacks of a bundled function in its own sources: a bundle built with an inline source map
// (esbuild --sourcemap=inline) fails with frames in its original TypeScript files, lines as the
// developer wrote them, in the execution's error and in an error it logged. The same bundle
// without a map keeps the bundle's frames, and so does one whose map cannot be read.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const PARSE_TS = `// A dependency of the sync, with types to strip.
export interface Row { id: number }

export function parseRows(text: string): Row[] {
  const rows = JSON.parse(text) as Row[];
  if (rows.length === 0) {
    throw new Error('no rows in the page');
  }
  return rows;
}
`;
const SYNC_TS = `import { parseRows } from './lib/parse';

type Input = { page: string; log?: boolean };

export default async function (input: Input) {
  if (input.log === true) {
    try {
      parseRows(input.page);
    } catch (err) {
      console.error('page skipped:', err);
    }
    return 'logged';
  }
  return parseRows(input.page).length;
}
`;
/** Lines of the throw in parse.ts and of each call into it in sync.ts (1-based, as in an editor). */
const lineOf = (source: string, text: string, from = 0): number => source.slice(0, source.indexOf(text, from)).split('\n').length;
const THROW_LINE = lineOf(PARSE_TS, "throw new Error('no rows");
const LOGGED_CALL_LINE = lineOf(SYNC_TS, 'parseRows(input.page);');
const RETURN_CALL_LINE = lineOf(SYNC_TS, 'return parseRows(input.page)');

describe('stack traces of a bundle with an inline source map', () => {
  let server: TestServer;
  let dir: string;
  const bundles: Record<'mapped' | 'plain', string> = { mapped: '', plain: '' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-maps-'));
    mkdirSync(join(dir, 'src', 'lib'), { recursive: true });
    writeFileSync(join(dir, 'src', 'lib', 'parse.ts'), PARSE_TS);
    writeFileSync(join(dir, 'src', 'sync.ts'), SYNC_TS);
    for (const kind of ['mapped', 'plain'] as const) {
      const out = await build({
        entryPoints: [join(dir, 'src', 'sync.ts')],
        bundle: true,
        format: 'esm',
        platform: 'node',
        outfile: join(dir, 'dist', 'sync.js'),
        write: false,
        logLevel: 'silent',
        ...(kind === 'mapped' ? { sourcemap: 'inline', sourcesContent: false } : {}),
      });
      bundles[kind] = out.outputFiles[0]!.text;
    }
    server = await startTestServer();
    await deploy(server, 'acme', 'mapped', bundles.mapped);
    await deploy(server, 'acme', 'plain', bundles.plain);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the original files and lines in the error of a failed run', async () => {
    const res = await invoke(server, 'acme', 'mapped', { page: '[]' });
    assert.equal(res.body.status, 'failed', JSON.stringify(res.body));
    const stack: string = res.body.error.stack;
    assert.match(stack, new RegExp(`^Error: no rows in the page\\n    at parseRows \\(\\.\\./src/lib/parse\\.ts:${THROW_LINE}:\\d+\\)\\n`), stack);
    assert.match(stack, new RegExp(`\\(\\.\\./src/sync\\.ts:${RETURN_CALL_LINE}:\\d+\\)`), stack);
    assert.doesNotMatch(stack, /file:\/\/\/fn\//, 'every frame is mapped');
    const stored = await server.request('GET', `/v1/tenants/acme/executions/${res.body.executionId}`);
    assert.equal(stored.body.error.stack, stack);
  });

  it('names them in an error the function logged', async () => {
    const res = await invoke(server, 'acme', 'mapped', { page: '[]', log: true });
    assert.equal(res.body.result, 'logged', JSON.stringify(res.body));
    const text = res.body.logs.map((l: { msg: string }) => l.msg).join('\n');
    assert.match(text, new RegExp(`page skipped: Error: no rows in the page\\n    at parseRows \\(\\.\\./src/lib/parse\\.ts:${THROW_LINE}:\\d+\\)`), text);
    assert.match(text, new RegExp(`\\.\\./src/sync\\.ts:${LOGGED_CALL_LINE}:\\d+`), text);
  });

  it('keeps the bundle frames of a bundle without a map, and of one whose map cannot be read', async () => {
    const plain = await invoke(server, 'acme', 'plain', { page: '[]' });
    assert.match(plain.body.error.stack, /^Error: no rows in the page\n {4}at parseRows \(file:\/\/\/fn\/plain\.[\w]+\.mjs:\d+:\d+\)/, plain.body.error.stack);
    assert.doesNotMatch(plain.body.error.stack, /\.ts:/);

    const broken = `${bundles.plain}//# sourceMappingURL=data:application/json;base64,${Buffer.from('{"version":3,"mappings":').toString('base64')}\n`;
    await deploy(server, 'acme', 'broken', broken);
    const res = await invoke(server, 'acme', 'broken', { page: '[]' });
    assert.equal(res.body.status, 'failed', JSON.stringify(res.body));
    assert.match(res.body.error.stack, /^Error: no rows in the page\n {4}at parseRows \(file:\/\/\/fn\/broken\.[\w]+\.mjs:\d+:\d+\)/, res.body.error.stack);
    assert.equal((await invoke(server, 'acme', 'broken', { page: '[1]' })).body.result, 1, 'the sandbox goes on serving');
  });
});
