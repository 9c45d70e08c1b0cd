// Files named on the command line (a function's source, --input @file, --egress @file,
// --value-file) that cannot be read end the CLI with exit code 2 and a line naming the file and
// why, before any request, instead of a stack trace.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/process.js';

const work = mkdtempSync(join(tmpdir(), 'airlock-cli-files-'));
after(() => rmSync(work, { recursive: true, force: true }));
// Nothing listens here: a request would fail with UNREACHABLE, so the checks below also prove
// that the file was read before any request.
const env = { AIRLOCK_URL: 'http://127.0.0.1:9', AIRLOCK_KEY: 'ak_unused' };

describe('CLI file arguments', () => {
  const missing = join(work, 'missing.json');
  const source = join(work, 'fn.ts');
  writeFileSync(source, 'export default async () => 1;\n');
  const cases: { args: string[]; message: string }[] = [
    { args: ['deploy', missing, '--tenant', 'acme'], message: `cannot read the function source ${missing}: no such file` },
    { args: ['deploy', work, '--tenant', 'acme'], message: `cannot read the function source ${work}: it is a directory` },
    { args: ['deploy', source, '--tenant', 'acme', '--egress', `@${missing}`], message: `cannot read the --egress policy file ${missing}: no such file` },
    { args: ['invoke', 'acme/fn', '--input', `@${missing}`], message: `cannot read the --input file ${missing}: no such file` },
    { args: ['jobs', 'submit', 'acme/fn', '--input', `@${missing}`], message: `cannot read the --input file ${missing}: no such file` },
    { args: ['secrets', 'set', 'acme', 'token', '--hosts', 'api.example.com', '--value-file', missing], message: `cannot read the --value-file ${missing}: no such file` },
  ];
  for (const { args, message } of cases) {
    it(`airlock ${args.slice(0, 2).join(' ')} … ${message.replace(work, '<dir>')}`, async () => {
      const r = await runCli(args, env);
      assert.equal(r.stderr.trim(), message);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
    });
  }
});
