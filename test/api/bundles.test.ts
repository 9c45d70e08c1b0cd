// Deploying a bundle over HTTP: a module above AIRLOCK_MAX_SOURCE_BYTES is refused with a hint to
// deploy it as a bundle, accepted with `"bundle": true` up to AIRLOCK_MAX_BUNDLE_BYTES (the
// route's body limit admits its request, JSON escaping and all) and runs; above the bundle limit
// it is refused naming AIRLOCK_MAX_BUNDLE_BYTES, by the service or, for a body too large even
// for a bundle, by the HTTP layer. `bundle` is not part of the version.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deployBodyLimit } from '../../src/api/body-limits.js';
import { invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const KiB = 1024;
/** The default source limit; a bundle limit small enough to keep the requests small. */
const MAX_SOURCE = 256 * KiB;
const MAX_BUNDLE = 384 * KiB;

/**
 * A module of about `bytes` bytes that calls `q` once a line, like a bundle's many small modules,
 * and returns the count. Each line is mostly double quotes, which JSON escaping doubles.
 */
function bundleLike(bytes: number): { code: string; lines: number } {
  const head = 'const seen = [];\nconst q = (s) => seen.push(s.length);\n';
  const line = `q('${'"'.repeat(100)}');\n`;
  const tail = 'export default () => seen.length;\n';
  const lines = Math.ceil((bytes - head.length - tail.length) / line.length);
  return { code: head + line.repeat(lines) + tail, lines };
}

describe('deploying a bundle', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AIRLOCK_MAX_SOURCE_BYTES: String(MAX_SOURCE), AIRLOCK_MAX_BUNDLE_BYTES: String(MAX_BUNDLE) });
  });
  after(async () => server.close());

  it('refuses a module above the source limit with how to deploy it as a bundle, then takes it as one and runs it', async () => {
    const { code, lines } = bundleLike(320 * KiB);
    const size = Buffer.byteLength(code);
    assert.ok(size > MAX_SOURCE && size < MAX_BUNDLE);
    // Its request is larger than a deploy's body could be when it followed the source limit alone.
    assert.ok(JSON.stringify({ code, bundle: true }).length > deployBodyLimit({ maxBundleBytes: MAX_SOURCE }));

    const plain = await server.request('PUT', '/v1/tenants/acme/functions/deps', { code });
    assert.equal(plain.status, 413);
    assert.equal(plain.body.error.code, 'SOURCE_TOO_LARGE');
    assert.equal(
      plain.body.error.message,
      `the source is ${size} bytes (UTF-8), above the limit of ${MAX_SOURCE} bytes (AIRLOCK_MAX_SOURCE_BYTES); if this is a ` +
        `bundle (a bundler's output with its dependencies), deploy it as one: "bundle": true (airlock deploy --bundle), ` +
        `up to ${MAX_BUNDLE} bytes (AIRLOCK_MAX_BUNDLE_BYTES); otherwise make it smaller, or ask the operator to raise AIRLOCK_MAX_SOURCE_BYTES`,
    );
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/deps')).status, 404, 'nothing deployed');

    const bundled = await server.request('PUT', '/v1/tenants/acme/functions/deps', { code, bundle: true });
    assert.equal(bundled.status, 201, JSON.stringify(bundled.body));
    const run = await invoke(server, 'acme', 'deps', null);
    assert.equal(run.body.status, 'succeeded', JSON.stringify(run.body));
    assert.equal(run.body.result, lines);
  });

  it('refuses a bundle above the bundle limit, naming AIRLOCK_MAX_BUNDLE_BYTES', async () => {
    const code = `export default () => 1;\n//${'x'.repeat(MAX_BUNDLE)}\n`;
    const size = Buffer.byteLength(code);
    const bundled = await server.request('PUT', '/v1/tenants/acme/functions/huge', { code, bundle: true });
    assert.equal(bundled.status, 413);
    assert.equal(bundled.body.error.code, 'SOURCE_TOO_LARGE');
    assert.equal(
      bundled.body.error.message,
      `the bundle is ${size} bytes (UTF-8), above the limit for a bundle of ${MAX_BUNDLE} bytes (AIRLOCK_MAX_BUNDLE_BYTES); ` +
        'make it smaller (minify it, e.g. esbuild --minify, or bundle fewer dependencies), or ask the operator to raise AIRLOCK_MAX_BUNDLE_BYTES',
    );
    // Not deployed as a bundle, it names both limits: the source one it is over, and the bundle one it is over too.
    const plain = await server.request('PUT', '/v1/tenants/acme/functions/huge', { code });
    assert.equal(plain.status, 413);
    assert.match(
      plain.body.error.message,
      new RegExp(
        `^the source is ${size} bytes \\(UTF-8\\), above the limit of ${MAX_SOURCE} bytes \\(AIRLOCK_MAX_SOURCE_BYTES\\) and even above ` +
          `that for a bundle \\("bundle": true\\), ${MAX_BUNDLE} bytes \\(AIRLOCK_MAX_BUNDLE_BYTES\\);.* raise AIRLOCK_MAX_BUNDLE_BYTES`,
      ),
    );
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/huge')).status, 404, 'nothing deployed');
  });

  it('refuses a request too large even for a bundle before reading it as JSON, naming both limits', async () => {
    const limit = deployBodyLimit({ maxBundleBytes: MAX_BUNDLE });
    const code = `export default () => 1;\n//${'x'.repeat(limit)}\n`;
    const res = await server.request('PUT', '/v1/tenants/acme/functions/huger', { code, bundle: true });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'SOURCE_TOO_LARGE');
    const message: string = res.body.error.message;
    assert.match(message, new RegExp(`^the deploy request is larger than the server accepts \\(${limit} bytes; this one has \\d+\\)`));
    assert.match(
      message,
      new RegExp(
        `a function's source may be at most ${MAX_SOURCE} bytes \\(AIRLOCK_MAX_SOURCE_BYTES\\), a bundle's \\("bundle": true\\) ` +
          `at most ${MAX_BUNDLE} bytes \\(AIRLOCK_MAX_BUNDLE_BYTES\\)`,
      ),
    );
    assert.match(message, /ask the operator to raise AIRLOCK_MAX_BUNDLE_BYTES \(and AIRLOCK_MAX_SOURCE_BYTES for a source that is not a bundle\)$/);
  });

  it('gives the same version to the same code deployed with or without "bundle": true', async () => {
    const code = 'export default () => 42;\n';
    const first = await server.request('PUT', '/v1/tenants/acme/functions/same', { code, bundle: true });
    assert.equal(first.status, 201);
    const again = await server.request('PUT', '/v1/tenants/acme/functions/same', { code });
    assert.deepEqual([again.status, again.body.created, again.body.version], [200, false, first.body.version]);
    const explicit = await server.request('PUT', '/v1/tenants/acme/functions/same', { code, bundle: false });
    assert.deepEqual([explicit.status, explicit.body.version], [200, first.body.version]);
  });

  it('refuses a bundle field that is not a boolean', async () => {
    const res = await server.request('PUT', '/v1/tenants/acme/functions/odd', { code: 'export default () => 1', bundle: 'yes' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'VALIDATION_FAILED');
    assert.match(res.body.error.message, /bundle/);
  });
});
