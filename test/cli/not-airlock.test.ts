// A server that is not Airlock but answers 200 with JSON of another shape: every command that
// reads fields of an answer fails with NOT_AIRLOCK naming the URL, the request and the first
// field that differs, instead of crashing with a TypeError. Also the shape check on its own.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { optional, shapeProblem } from '../../src/cli/shape.js';
import type { Shape } from '../../src/cli/shape.js';
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

describe('shapeProblem', () => {
  const JOBS = { jobs: [{ id: 'string', runs: 'number', note: 'string?', start: 'string|null' }], next: 'string|null?' } as const;

  it('passes an answer with the shape, extra fields, optional fields left out and nulls where allowed', () => {
    assert.equal(shapeProblem({ jobs: [{ id: 'a', runs: 1, start: null, extra: [1] }], more: 1 }, JOBS), undefined);
    assert.equal(shapeProblem({ jobs: [], next: 'x' }, JOBS), undefined);
    assert.equal(shapeProblem({ jobs: [{ id: 'a', runs: 1, start: 'warm', note: 'n' }], next: null }, JOBS), undefined);
  });

  it('names the first field that differs and what it is', () => {
    assert.equal(shapeProblem(undefined, JOBS), 'the answer is missing');
    assert.equal(shapeProblem([1], JOBS), 'the answer is an array, not an object');
    assert.equal(shapeProblem({ jobs: 'x' }, JOBS), '"jobs" is a string, not a list');
    assert.equal(shapeProblem({ jobs: [{ id: 'a', runs: 1, start: null }, { id: 'b', runs: '2', start: null }] }, JOBS), '"jobs[1].runs" is a string, not a number');
    assert.equal(shapeProblem({ jobs: [{ id: null, runs: 1, start: null }] }, JOBS), '"jobs[0].id" is null, not a string');
    assert.equal(shapeProblem({ jobs: [{ id: 'a', runs: 1 }] }, JOBS), '"jobs[0].start" is missing');
    assert.equal(shapeProblem({ jobs: [{ id: 'a', runs: 1, start: null, note: 3 }] }, JOBS), '"jobs[0].note" is a number, not a string');
    assert.equal(shapeProblem({ jobs: [], next: 5 }, JOBS), '"next" is a number, not a string');
  });

  it('takes an optional list or object as absent, else checks it', () => {
    const FN = { egress: optional({ allow: [{ host: 'string', ports: optional(['number']) }] }) } as const;
    assert.equal(shapeProblem({}, FN), undefined);
    assert.equal(shapeProblem({ egress: { allow: [{ host: 'a' }, { host: 'b', ports: [443] }] } }, FN), undefined);
    assert.equal(shapeProblem({ egress: null }, FN), '"egress" is null, not an object');
    assert.equal(shapeProblem({ egress: { allow: [{ host: 'a', ports: ['443'] }] } }, FN), '"egress.allow[0].ports[0]" is a string, not a number');
  });

  it('does not take a field from the prototype chain', () => {
    const shape: Shape = Object.fromEntries([['constructor', 'unknown']]);
    assert.equal(shapeProblem({}, shape), '"constructor" is missing');
  });
});
