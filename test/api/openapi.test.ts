// GET /openapi.json against the server that serves it: every route Fastify serves is described,
// each with a stable operationId and a tag, and the document says what the server really does
// (bodies that may be left out, routes that take no key, the answers each route can give).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

type Response = { description: string; headers?: Record<string, { schema: { type: string } }>; content?: Record<string, { schema: Record<string, any> }> };
type Operation = {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, any> }> };
  responses: Record<string, Response>;
};
type Spec = { paths: Record<string, Record<string, Operation>>; tags: { name: string }[]; security: unknown[] };

const ERROR_REF = '#/components/schemas/Error';
const INVOKE = '/v1/tenants/{tenant}/functions/{name}/invoke';
const HOOK = '/hooks/{tenant}/{function}/{token}';

/** Every documented operation as "METHOD /path". */
function operations(spec: Spec): Map<string, Operation> {
  const ops = new Map<string, Operation>();
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) ops.set(`${method.toUpperCase()} ${path}`, op);
  }
  return ops;
}

/** The routes Fastify serves, as "METHOD /path" with {params}, from its route tree (HEAD left out: Fastify adds it to every GET). */
function servedRoutes(tree: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    // A segment may continue its parent's without a slash (/invoke, then -batch for /invoke-batch).
    const match = /^([│├└─\s]*)(\S+) \(([^)]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4 - 1;
    stack.length = depth;
    stack.push(match[2]!);
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of match[3]!.split(', ')) if (method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  return routes.sort();
}

describe('openapi', () => {
  let server: TestServer;
  let spec: Spec;
  let ops: Map<string, Operation>;
  before(async () => {
    server = await startTestServer();
    const res = await server.request('GET', '/openapi.json', undefined, null);
    assert.equal(res.status, 200);
    spec = res.body;
    ops = operations(spec);
  });
  after(async () => server.close());

  it('serves an OpenAPI document that matches the validating schemas', () => {
    assert.match((spec as unknown as { openapi: string }).openapi, /^3\./);
    assert.ok(spec.paths[INVOKE]?.post, 'invoke route documented');
    const schema = spec.paths['/v1/tenants/{tenant}/functions/{name}']!.put!.requestBody!.content['application/json']!.schema;
    assert.deepEqual(schema.required, ['code']);
    // The limits' minimums are the ones the server enforces.
    const limits = schema.properties.limits.properties;
    assert.deepEqual(
      Object.fromEntries(Object.entries(limits as Record<string, { minimum: number }>).map(([k, v]) => [k, v.minimum])),
      { timeoutMs: 10, memoryMiB: 16, inputBytes: 2, resultBytes: 16, logBytes: 0 },
    );
  });

  it('keeps anyOf out of response schemas (Fastify would validate it on every response)', () => {
    const offenders: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (node === null || typeof node !== 'object') return;
      if (Object.hasOwn(node, 'anyOf') || Object.hasOwn(node, 'oneOf')) offenders.push(where);
      for (const [key, child] of Object.entries(node)) walk(child, `${where}.${key}`);
    };
    for (const [name, op] of ops) walk(op.responses, name);
    assert.deepEqual(offenders, []);
  });

  it('describes every route the server serves, ops routes included', () => {
    assert.deepEqual([...ops.keys()].sort(), servedRoutes(server.airlock.server.printRoutes({ commonPrefix: false })));
    for (const route of ['GET /healthz', 'GET /openapi.json', 'GET /metrics']) assert.ok(ops.has(route), route);
  });

  it('gives every operation a unique operationId and a declared tag', () => {
    const ids = [...ops.values()].map((op) => op.operationId);
    assert.ok(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id)), JSON.stringify(ids));
    assert.equal(new Set(ids).size, ids.length, `duplicate operationIds: ${JSON.stringify(ids)}`);
    const declared = new Set(spec.tags.map((t) => t.name));
    for (const [name, op] of ops) {
      assert.equal(op.tags?.length, 1, `${name} has one tag`);
      assert.ok(declared.has(op.tags![0]!), `${name}: tag ${op.tags![0]} is declared`);
    }
    // Names clients are generated with: changing one breaks them.
    const byRoute = (route: string) => ops.get(route)?.operationId;
    assert.deepEqual(
      [byRoute(`POST ${INVOKE}`), byRoute('GET /v1/tenants/{tenant}/jobs'), byRoute('POST /v1/tenants/{tenant}/jobs/{id}/retry'), byRoute(`POST ${HOOK}`)],
      ['invokeFunction', 'listJobs', 'retryJob', 'receiveWebhookPost'],
    );
  });

  it('asks for no key where none is needed, and a bearer key everywhere else', async () => {
    assert.deepEqual(spec.security, [{ bearer: [] }]);
    const open = [...ops].filter(([, op]) => Array.isArray(op.security) && op.security.length === 0).map(([name]) => name);
    const hooks = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => `${m} ${HOOK}`);
    assert.deepEqual(open.sort(), ['GET /healthz', 'GET /metrics', 'GET /openapi.json', ...hooks].sort());
    for (const path of ['/healthz', '/metrics', '/openapi.json']) {
      assert.equal((await fetch(server.url + path)).status, 200, `${path} answers without a key`);
    }
    for (const [name, op] of ops) if (!open.includes(name)) assert.equal(op.security, undefined, `${name} keeps the bearer key`);
  });

  it('says which request bodies may be left out: exactly those whose schema requires no field', () => {
    const optional = [...ops].filter(([, op]) => op.requestBody?.required === false).map(([name]) => name);
    assert.deepEqual(optional.sort(), [
      'POST /v1/tenants/{tenant}/functions/{name}/invoke',
      'POST /v1/tenants/{tenant}/functions/{name}/jobs',
      'POST /v1/tenants/{tenant}/jobs/{id}/retry',
      'POST /v1/tenants/{tenant}/keys',
    ]);
    for (const [name, op] of ops) {
      if (op.requestBody === undefined) continue;
      const required = op.requestBody.content['application/json']!.schema.required as string[] | undefined;
      assert.equal(op.requestBody.required, (required ?? []).length > 0, name);
    }
  });

  it("documents rolling back and reading a version's source: operations, body, and the source's media types and headers", () => {
    const rollback = spec.paths['/v1/tenants/{tenant}/functions/{name}/latest']!.put!;
    assert.deepEqual([rollback.operationId, rollback.tags], ['setLatestVersion', ['functions']]);
    assert.deepEqual(rollback.requestBody!.content['application/json']!.schema.required, ['version']);
    assert.ok(rollback.responses['200']!.content!['application/json']!.schema.properties.previousVersion);
    assert.match(rollback.responses['404']!.description, /FUNCTION_NOT_FOUND or VERSION_NOT_FOUND/);
    const code = spec.paths['/v1/tenants/{tenant}/functions/{name}/code']!.get!;
    assert.deepEqual([code.operationId, code.tags], ['getFunctionCode', ['functions']]);
    assert.deepEqual(Object.keys(code.responses['200']!.content!).sort(), ['text/javascript', 'text/plain']);
    assert.deepEqual(Object.keys(code.responses['200']!.headers!).sort(), ['x-airlock-runtime', 'x-airlock-version']);
    const versions = spec.paths['/v1/tenants/{tenant}/functions/{name}/versions']!.get!;
    const item = versions.responses['200']!.content!['application/json']!.schema.properties.versions.items;
    assert.deepEqual(Object.keys(item.properties).sort(), ['createdAt', 'egress', 'isolation', 'limits', 'runtime', 'version']);
  });

  it('documents the 200 of a webhook delivery answered with ?wait: the result as text or JSON, with the ids', () => {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const ok = spec.paths[HOOK]![method]!.responses['200'];
      assert.ok(ok, `${method} documents 200`);
      assert.deepEqual(Object.keys(ok.content!).sort(), ['application/json', 'text/plain']);
      assert.deepEqual(Object.keys(ok.headers!).sort(), ['x-airlock-delivery-id', 'x-airlock-job-id']);
      assert.ok(spec.paths[HOOK]![method]!.responses['202'], `${method} still documents 202`);
    }
  });

  it('lists 413 on every route that takes a request body (each has a body limit)', () => {
    for (const [name, op] of ops) {
      if (/^(POST|PUT|PATCH|DELETE) \/v1\//.test(name)) assert.ok(op.responses['413'] !== undefined, name);
    }
  });

  it('lists the error statuses each route produces, every one with the Error body', () => {
    const statuses = (route: string) => Object.keys(ops.get(route)!.responses).filter((s) => /^[45]/.test(s));
    // Routes that name a version also answer a prefix several versions start with (400 VERSION_AMBIGUOUS).
    assert.deepEqual(statuses(`POST ${INVOKE}`), ['400', '404', '413', '429', '4XX', '5XX']);
    assert.match(ops.get(`POST ${INVOKE}`)!.responses['400']!.description, /^error\.code VERSION_AMBIGUOUS; .*candidates/);
    for (const route of ['GET /v1/tenants/{tenant}/functions/{name}', 'GET /v1/tenants/{tenant}/functions/{name}/code', 'PUT /v1/tenants/{tenant}/functions/{name}/latest']) {
      assert.deepEqual(statuses(route).slice(0, 2), ['400', '404'], route);
    }
    assert.deepEqual(statuses('POST /v1/tenants/{tenant}/functions/{name}/jobs'), ['404', '409', '413', '429', '4XX', '5XX']);
    assert.deepEqual(statuses('POST /v1/tenants/{tenant}/jobs/{id}/retry'), ['400', '404', '409', '413', '4XX', '5XX']);
    assert.deepEqual(statuses('GET /v1/tenants/{tenant}/jobs/{id}'), ['404', '4XX', '5XX']);
    // A deploy's own refusals of the source (with line and column) and of its syntax check.
    assert.deepEqual(statuses('PUT /v1/tenants/{tenant}/functions/{name}'), ['400', '413', '429', '500', '4XX', '5XX']);
    const deploy400 = ops.get('PUT /v1/tenants/{tenant}/functions/{name}')!.responses['400']!.description;
    assert.match(deploy400, /^error\.code SYNTAX_ERROR or UNSUPPORTED_SYNTAX or MISSING_HANDLER or UNRESOLVABLE_IMPORT; .*line and column/);
    assert.match(ops.get('PUT /v1/tenants/{tenant}/functions/{name}')!.responses['500']!.description, /SYNTAX_CHECK_FAILED/);
    // A webhook with signature verification refuses bad signatures (401) and an unusable key (503).
    // A tenant at its backlog cap is refused before anything is stored (429 TENANT_BACKLOG_FULL).
    assert.deepEqual(statuses(`POST ${HOOK}`), ['401', '404', '413', '429', '431', '503', '4XX', '5XX']);
    assert.deepEqual(statuses('PUT /v1/tenants/{tenant}/functions/{name}/webhook/verify'), ['404', '413', '4XX', '5XX']);
    assert.deepEqual(statuses('GET /v1/tenants/{tenant}/functions'), ['4XX', '5XX']);
    const tooMany = ops.get(`POST ${INVOKE}`)!.responses['429']!;
    assert.equal(tooMany.headers?.['retry-after']?.schema.type, 'integer');
    assert.match(tooMany.description, /TOO_MANY_REQUESTS/);
    assert.match(ops.get('POST /v1/tenants/{tenant}/jobs/{id}/retry')!.responses['409']!.description, /JOB_NOT_RETRYABLE/);
    const backlogFull = ops.get(`POST ${HOOK}`)!.responses['429']!;
    assert.equal(backlogFull.headers?.['retry-after']?.schema.type, 'integer');
    assert.match(backlogFull.description, /TENANT_BACKLOG_FULL; .*AIRLOCK_QUEUE_TENANT_BACKLOG/);
    // Only invoke goes through admission; deploys queue for their syntax check, at most 32 per tenant;
    // job submissions and webhook deliveries stop at their tenant's backlog cap.
    const hookRoutes = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((method) => `${method} ${HOOK}`);
    const throttled = new Set([`POST ${INVOKE}`, 'PUT /v1/tenants/{tenant}/functions/{name}', 'POST /v1/tenants/{tenant}/functions/{name}/jobs', ...hookRoutes]);
    for (const [name, op] of ops) if (!throttled.has(name)) assert.equal(op.responses['429'], undefined, name);
    for (const [name, op] of ops) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!/^[45]/.test(status) || name === 'GET /healthz') continue;
        assert.equal(response.content?.['application/json']?.schema.$ref, ERROR_REF, `${name} ${status}`);
      }
    }
  });

  it('lists no rejected status for an invoke: admission refuses with a 429 instead', () => {
    const answer = ops.get(`POST ${INVOKE}`)!.responses['200']!.content!['application/json']!.schema;
    assert.deepEqual(answer.properties.status.enum, ['succeeded', 'failed', 'timeout', 'oom', 'killed']);
    const record = spec.paths['/v1/tenants/{tenant}/executions/{id}']!.get!.responses['200']!.content!['application/json']!.schema;
    assert.ok(record.properties.status.enum.includes('rejected'), 'execution records keep it');
  });

  it('says what the timing fields and log lines of an invoke answer and an execution record are', () => {
    const answer = ops.get(`POST ${INVOKE}`)!.responses['200']!.content!['application/json']!.schema;
    const record = spec.paths['/v1/tenants/{tenant}/executions/{id}']!.get!.responses['200']!.content!['application/json']!.schema;
    for (const schema of [answer, record]) {
      assert.match(schema.properties.durationMs.description, /excludes the wait for admission and for a sandbox \(startedAt - queuedAt/);
      assert.match(schema.properties.start.description, /warm .* pool .* spawn/);
      for (const field of ['ts', 'level', 'msg']) assert.ok(schema.properties.logs.items.properties[field].description, field);
    }
    for (const field of ['queuedAt', 'startedAt', 'finishedAt']) assert.ok(record.properties[field].description, field);
    assert.match(record.properties.startedAt.description, /startedAt - queuedAt is the wait/);
  });

  it('documents a deploy\'s optional bundle flag and the larger limit it allows', () => {
    const schema = spec.paths['/v1/tenants/{tenant}/functions/{name}']!.put!.requestBody!.content['application/json']!.schema;
    assert.equal(schema.properties.bundle.type, 'boolean');
    assert.ok(!schema.required.includes('bundle'));
    assert.match(schema.properties.bundle.description, /bundler's output .* AIRLOCK_MAX_BUNDLE_BYTES \(default 5 MiB\) instead of AIRLOCK_MAX_SOURCE_BYTES/);
  });

  it("gives a function read its own schema, without a deploy's created and previousVersion", () => {
    const fn = spec.paths['/v1/tenants/{tenant}/functions/{name}']!;
    const read = fn.get!.responses['200']!.content!['application/json']!.schema;
    assert.ok(read.properties.version && read.properties.webhook);
    assert.equal(read.properties.created, undefined);
    assert.equal(read.properties.previousVersion, undefined);
    for (const status of ['200', '201']) {
      const deployed = fn.put!.responses[status]!.content!['application/json']!.schema;
      assert.ok(deployed.required.includes('created') && deployed.required.includes('previousVersion'), status);
    }
  });
});
