// Files named on the command line (a function's source, --input @file, --egress @file,
// --value-file) that cannot be read, or JSON options (--input, --egress) that do not parse, end
// the CLI with exit code 2 and a line naming the option or file and why, before any request,
// instead of a stack trace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/process.js';

const work = mkdtempSync(join(tmpdir(), 'airlock-cli-files-'));
// A server that counts requests: the refusals must come before any request.
let requests = 0;
const server = createServer((_req, res) => {
  requests++;
  res.writeHead(500).end();
});
const env = { AIRLOCK_URL: '', AIRLOCK_KEY: 'ak_unused' };
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  env.AIRLOCK_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

/** What JSON.parse says of `text` (its wording is Node's). */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`${text} parsed`);
}

describe('CLI file arguments', () => {
  const missing = join(work, 'missing.json');
  const source = join(work, 'fn.ts');
  writeFileSync(source, 'export default async () => 1;\n');
  const badJson = join(work, 'bad.json');
  writeFileSync(badJson, '{"a":\n');
  const cases: { args: string[]; message: string }[] = [
    { args: ['deploy', missing, '--tenant', 'acme'], message: `cannot read the function source ${missing}: no such file` },
    { args: ['deploy', work, '--tenant', 'acme'], message: `cannot read the function source ${work}: it is a directory` },
    { args: ['deploy', source, '--tenant', 'acme', '--egress', `@${missing}`], message: `cannot read the --egress policy file ${missing}: no such file` },
    { args: ['invoke', 'acme/fn', '--input', `@${missing}`], message: `cannot read the --input file ${missing}: no such file` },
    { args: ['jobs', 'submit', 'acme/fn', '--input', `@${missing}`], message: `cannot read the --input file ${missing}: no such file` },
    { args: ['secrets', 'set', 'acme', 'token', '--hosts', 'api.example.com', '--value-file', missing], message: `cannot read the --value-file ${missing}: no such file` },
    { args: ['invoke', 'acme/fn', '--input', '{a:1}'], message: `--input is not valid JSON (${jsonError('{a:1}')}); quote it: --input '{"a":1}' or use --input @file.json` },
    { args: ['schedules', 'set', 'acme/nightly', '--cron', '0 3 * * *', '--function', 'fn', '--input', `@${badJson}`], message: `--input: ${badJson} is not valid JSON (${jsonError('{"a":\n')})` },
    { args: ['deploy', source, '--tenant', 'acme', '--egress', 'allow'], message: `--egress is not valid JSON (${jsonError('allow')}); quote it: --egress '{"a":1}' or use --egress @file.json` },
    { args: ['deploy', source, '--tenant', 'acme', '--egress', `@${badJson}`], message: `--egress: ${badJson} is not valid JSON (${jsonError('{"a":\n')})` },
  ];
  for (const { args, message } of cases) {
    it(`airlock ${args.slice(0, 2).join(' ')} … ${message.replace(work, '<dir>')}`, async () => {
      const r = await runCli(args, env);
      assert.equal(r.stderr.trim(), message);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(requests, 0, 'no request was sent');
    });
  }
});
