// A server that is not Airlock but answers 200 with JSON of another shape: every command that
// reads fields of an answer fails with NOT_AIRLOCK naming the URL, the request and the first
// field that differs, instead of crashing with a TypeError; a source (`functions … --code`) that
// comes without Airlock's header is NOT_AIRLOCK too. Also the answer check on its own.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { answerProblem, Nullable } from '../../src/cli/answer.js';
import { cliRig } from '../support/cli-rig.js';
import { runCli } from '../support/process.js';

const OTHER = { items: [], ok: true };
const { work, env } = cliRig('not-airlock', () => ({ status: 200, json: OTHER }));

describe('a server that answers JSON of another shape', () => {
  const file = join(work, 'hello.js');
  const secret = join(work, 'secret.txt');
  writeFileSync(file, 'export default () => 1');
  writeFileSync(secret, 'value');
  const cases: { args: string[]; request: string; problem: string }[] = [
    { args: ['deploy', file, '--tenant', 'acme'], request: 'PUT /v1/tenants/acme/functions/hello', problem: '"version" is missing' },
    { args: ['functions', 'acme'], request: 'GET /v1/tenants/acme/functions', problem: '"functions" is missing' },
    { args: ['functions', 'acme/hello'], request: 'GET /v1/tenants/acme/functions/hello', problem: '"tenant" is missing' },
    { args: ['functions', 'acme/hello', '--versions'], request: 'GET /v1/tenants/acme/functions/hello/versions', problem: '"latest" is missing' },
    { args: ['functions', 'rollback', 'acme/hello', '--version', 'v1'], request: 'PUT /v1/tenants/acme/functions/hello/latest', problem: '"version" is missing' },
    { args: ['invoke', 'acme/hello'], request: 'POST /v1/tenants/acme/functions/hello/invoke', problem: '"status" is missing' },
    { args: ['executions', 'acme'], request: 'GET /v1/tenants/acme/executions', problem: '"executions" is missing' },
    { args: ['executions', 'acme', 'ex_1'], request: 'GET /v1/tenants/acme/executions/ex_1', problem: '"id" is missing' },
    { args: ['jobs', 'submit', 'acme/hello'], request: 'POST /v1/tenants/acme/functions/hello/jobs', problem: '"jobId" is missing' },
    { args: ['jobs', 'get', 'acme', 'qi_1'], request: 'GET /v1/tenants/acme/jobs/qi_1', problem: '"id" is missing' },
    { args: ['jobs', 'list', 'acme'], request: 'GET /v1/tenants/acme/jobs', problem: '"jobs" is missing' },
    { args: ['jobs', 'cancel', 'acme', 'qi_1'], request: 'POST /v1/tenants/acme/jobs/qi_1/cancel', problem: '"status" is missing' },
    { args: ['schedules', 'set', 'acme/nightly', '--function', 'hello', '--every', '60'], request: 'PUT /v1/tenants/acme/schedules/nightly', problem: '"name" is missing' },
    { args: ['schedules', 'get', 'acme', 'nightly'], request: 'GET /v1/tenants/acme/schedules/nightly', problem: '"name" is missing' },
    { args: ['schedules', 'list', 'acme'], request: 'GET /v1/tenants/acme/schedules', problem: '"schedules" is missing' },
    { args: ['schedules', 'runs', 'acme', 'nightly'], request: 'GET /v1/tenants/acme/schedules/nightly/runs', problem: '"runs" is missing' },
    { args: ['hooks', 'show', 'acme/hello'], request: 'GET /v1/tenants/acme/functions/hello/webhook', problem: '"token" is missing' },
    { args: ['hooks', 'rotate', 'acme/hello'], request: 'POST /v1/tenants/acme/functions/hello/webhook/rotate', problem: '"token" is missing' },
    { args: ['keys', 'create', 'acme'], request: 'POST /v1/tenants/acme/keys', problem: '"id" is missing' },
    { args: ['keys', 'list', 'acme'], request: 'GET /v1/tenants/acme/keys', problem: '"keys" is missing' },
    { args: ['secrets', 'list', 'acme'], request: 'GET /v1/tenants/acme/secrets', problem: '"secrets" is missing' },
    { args: ['secrets', 'set', 'acme', 'token', '--hosts', 'api.example.com', '--value-file', secret], request: 'PUT /v1/tenants/acme/secrets/token', problem: '"name" is missing' },
  ];
  for (const { args, request, problem } of cases) {
    it(`airlock ${args.join(' ').replace(work, '…')} says NOT_AIRLOCK`, async () => {
      const r = await runCli(args, env);
      const message =
        `error NOT_AIRLOCK: ${env.AIRLOCK_URL} answered ${request} with 200 and JSON that is not an Airlock answer ` +
        `(${problem}; is AIRLOCK_URL an Airlock server?): ${JSON.stringify(OTHER)}\n`;
      assert.deepEqual(r, { code: 1, stdout: '', stderr: message });
    });
  }
});

describe('a server that answers a source request without the header Airlock sends with a source', () => {
  it('airlock functions acme/hello --code says NOT_AIRLOCK and prints nothing', async () => {
    const r = await runCli(['functions', 'acme/hello', '--code'], env);
    assert.deepEqual(r, {
      code: 1,
      stdout: '',
      stderr: `error NOT_AIRLOCK: ${env.AIRLOCK_URL} answered GET /v1/tenants/acme/functions/hello/code with 200 but without the x-airlock-version header an Airlock server sends (is AIRLOCK_URL an Airlock server?)\n`,
    });
  });
});

describe('answerProblem', () => {
  const JOBS = Type.Object({
    jobs: Type.Array(Type.Object({ id: Type.String(), runs: Type.Number(), note: Type.Optional(Type.String()), start: Nullable(Type.String()) })),
    next: Type.Optional(Nullable(Type.String())),
  });

  it('passes an answer with the fields read, extra fields, optional fields left out and nulls where allowed', () => {
    assert.equal(answerProblem(JOBS, { jobs: [{ id: 'a', runs: 1, start: null, extra: [1] }], more: 1 }), undefined);
    assert.equal(answerProblem(JOBS, { jobs: [], next: 'x' }), undefined);
    assert.equal(answerProblem(JOBS, { jobs: [{ id: 'a', runs: 1, start: 'warm', note: 'n' }], next: null }), undefined);
  });

  it('names the first field that differs, as a reader writes it', () => {
    assert.equal(answerProblem(JOBS, [1]), 'the answer: expected object');
    assert.equal(answerProblem(JOBS, { jobs: 'x' }), '"jobs": expected array');
    assert.equal(answerProblem(JOBS, { jobs: [{ id: 'a', runs: 1, start: null }, { id: 'b', runs: '2', start: null }] }), '"jobs[1].runs": expected number');
    assert.equal(answerProblem(JOBS, { jobs: [{ id: 'a', runs: 1 }] }), '"jobs[0].start" is missing');
    assert.equal(answerProblem(JOBS, { jobs: [{ id: 'a', runs: 1, start: null, note: 3 }] }), '"jobs[0].note": expected string');
    assert.match(answerProblem(JOBS, { jobs: [], next: 5 }) ?? '', /^"next": expected /);
  });

  it('takes an optional list or object as absent, else checks it', () => {
    const FN = Type.Object({ egress: Type.Optional(Type.Object({ allow: Type.Array(Type.Object({ host: Type.String(), ports: Type.Optional(Type.Array(Type.Number())) })) })) });
    assert.equal(answerProblem(FN, {}), undefined);
    assert.equal(answerProblem(FN, { egress: { allow: [{ host: 'a' }, { host: 'b', ports: [443] }] } }), undefined);
    assert.equal(answerProblem(FN, { egress: null }), '"egress": expected object');
    assert.equal(answerProblem(FN, { egress: { allow: [{ host: 'a', ports: ['443'] }] } }), '"egress.allow[0].ports[0]": expected number');
  });

  it('does not take a field from the prototype chain', () => {
    assert.equal(answerProblem(Type.Object({ constructor: Type.Unknown() }), {}), '"constructor" is missing');
  });
});
