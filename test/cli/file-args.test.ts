// Files named on the command line (a function's source, --input @file, --egress @file,
// --value-file) that cannot be read, or JSON options (--input, --egress) that do not parse, end
// the CLI with exit code 2 and a line naming the option or file and why, before any request,
// instead of a stack trace. A UTF-8 byte order mark at the start of a file is not part of it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliRig } from '../support/cli-rig.js';
import { runCli } from '../support/process.js';

// A stand-in server that records requests: the refusals must come before any request.
const { work, env, requests } = cliRig('files');

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
    { args: ['invoke', 'acme/fn', '--input', '@'], message: '--input @ needs a file name after the @ (--input @input.json), or - for standard input (--input @-)' },
    { args: ['invoke', 'acme/fn', '--input', '{a:1}'], message: `--input is not valid JSON (${jsonError('{a:1}')}); quote it: --input '{"a":1}' or use --input @file.json` },
    { args: ['schedules', 'set', 'acme/nightly', '--cron', '0 3 * * *', '--function', 'fn', '--input', `@${badJson}`], message: `--input: ${badJson} is not valid JSON (${jsonError('{"a":\n')})` },
    { args: ['deploy', source, '--tenant', 'acme', '--egress', 'allow'], message: `--egress is not valid JSON (${jsonError('allow')}); quote it: --egress '{"a":1}' or use --egress @file.json` },
    { args: ['deploy', source, '--tenant', 'acme', '--egress', `@${badJson}`], message: `--egress: ${badJson} is not valid JSON (${jsonError('{"a":\n')})` },
  ];
  for (const { args, message } of cases) {
    it(`airlock ${args.slice(0, 2).join(' ')} … ${message.replace(work, '<dir>')}`, async () => {
      const before = requests.length;
      const r = await runCli(args, env);
      assert.equal(r.stderr.trim(), message);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(requests.length, before, 'no request was sent');
    });
  }
});

describe('CLI files saved with a UTF-8 byte order mark', () => {
  const BOM = '\uFEFF';

  /** The JSON body the CLI sent for `args` (the server answers 500; only the body matters). */
  async function bodySentBy(args: string[]): Promise<Record<string, unknown>> {
    const before = requests.length;
    const r = await runCli(args, env);
    assert.equal(requests.length, before + 1, `one request was sent; the CLI said: ${r.stderr}`);
    return JSON.parse(requests.at(-1)!.body) as Record<string, unknown>;
  }

  it('--input @file: the JSON is read without the mark', async () => {
    const file = join(work, 'input-bom.json');
    writeFileSync(file, `${BOM}{"name":"world"}\r\n`);
    assert.deepEqual(await bodySentBy(['invoke', 'acme/fn', '--input', `@${file}`]), { input: { name: 'world' } });
  });

  it('--egress @file: the policy is read without the mark', async () => {
    const source = join(work, 'caller.js');
    writeFileSync(source, 'export default async () => 1;\n');
    const policy = join(work, 'policy-bom.json');
    writeFileSync(policy, `${BOM}{"allow":[]}`);
    assert.deepEqual((await bodySentBy(['deploy', source, '--tenant', 'acme', '--egress', `@${policy}`])).egress, { allow: [] });
  });

  it('the function source is sent as it is, mark included (the version the same bytes get through the API; the deploy ignores the mark)', async () => {
    const source = join(work, 'bom.ts');
    writeFileSync(source, `${BOM}export default async () => 1;\n`);
    assert.equal((await bodySentBy(['deploy', source, '--tenant', 'acme'])).code, `${BOM}export default async () => 1;\n`);
  });
});

describe('standard input as the file (-)', () => {
  /** The JSON body the CLI sent for `args` with `stdin` as its input (the server answers 500). */
  async function bodySentBy(args: string[], stdin: string): Promise<Record<string, unknown>> {
    const before = requests.length;
    const r = await runCli(args, env, stdin);
    assert.equal(requests.length, before + 1, `one request was sent; the CLI said: ${r.stderr}`);
    return JSON.parse(requests.at(-1)!.body) as Record<string, unknown>;
  }

  it('--input @- reads the input from standard input', async () => {
    assert.deepEqual(await bodySentBy(['invoke', 'acme/fn', '--input', '@-'], '{"name":"piped"}\n'), { input: { name: 'piped' } });
  });

  it('deploy - reads the source from standard input, with --name', async () => {
    const body = await bodySentBy(['deploy', '-', '--tenant', 'acme', '--name', 'piped', '--runtime', 'typescript'], 'export default async (x: number) => x;\n');
    assert.deepEqual([body.code, body.runtime], ['export default async (x: number) => x;\n', 'typescript']);
    assert.match(requests.at(-1)!.url, /\/functions\/piped$/);
  });

  it('refuses deploy - without --name, and bad JSON on standard input, before any request', async () => {
    const before = requests.length;
    const noName = await runCli(['deploy', '-', '--tenant', 'acme'], env, 'export default async () => 1;');
    assert.equal(noName.code, 2);
    assert.match(noName.stderr, /^a source read from standard input \(-\) needs --name \(and --runtime typescript for TypeScript\)/);
    const bad = await runCli(['invoke', 'acme/fn', '--input', '@-'], env, '{nope');
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim(), `--input: standard input is not valid JSON (${jsonError('{nope')})`);
    assert.equal(requests.length, before, 'no request was sent');
  });

  it('refuses standard input used twice, and an empty one, before any request', async () => {
    const before = requests.length;
    const twice = await runCli(['deploy', '-', '--tenant', 'acme', '--name', 'e2', '--egress', '@-'], env, 'export default async () => 1;');
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /^standard input can feed only one argument: the source \(-\) or --egress @-, not both/);
    const empty = await runCli(['invoke', 'acme/fn', '--input', '@-'], env, '');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /^the --input file was to come from standard input, but it was empty; pipe it in/);
    assert.equal(requests.length, before, 'no request was sent');
  });
});
