// Policy matching (hosts, wildcards, ports, methods, path prefixes, URL shapes), the deploy-time
// policy check with limit resolution, and secret placeholder substitution and masking.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAirlockError } from '../../src/core/errors.js';
import type { EgressPolicy } from '../../src/core/types.js';
import { DEFAULT_EGRESS_LIMITS, DEFAULT_MAX_EGRESS_LIMITS } from '../../src/egress/limits.js';
import { checkEgressPolicy } from '../../src/egress/policy-check.js';
import { checkPolicy, hostMatches, parseTarget } from '../../src/egress/policy.js';
import { mistypedPlaceholder, placeholderNames, SecretMask, substitute } from '../../src/egress/secrets.js';

const code = (c: string) => (e: unknown) => isAirlockError(e) && e.code === c;

describe('parseTarget', () => {
  it('defaults ports by scheme, lower-cases hosts, strips brackets and trailing dots, drops the query from path', () => {
    const t = parseTarget('https://API.Example.com./v1/items?token=x#frag');
    assert.deepEqual([t.protocol, t.host, t.port, t.path, t.literal], ['https:', 'api.example.com', 443, '/v1/items', false]);
    assert.equal(parseTarget('http://example.com/').port, 80);
    assert.equal(parseTarget('http://example.com:8080/').port, 8080);
    const v6 = parseTarget('http://[::1]:81/');
    assert.deepEqual([v6.host, v6.literal, v6.port], ['::1', true, 81]);
  });

  it('refuses other schemes, userinfo and non-URLs', () => {
    for (const bad of ['ftp://example.com/', 'file:///etc/passwd', 'data:text/plain,x', 'ws://example.com/', 'https://user:pw@example.com/', 'https://user@example.com/', '/relative', 'not a url']) {
      assert.throws(() => parseTarget(bad), code('EGRESS_DENIED'), bad);
    }
  });
});

describe('hostMatches', () => {
  const table: [string, string, boolean][] = [
    ['api.example.com', 'api.example.com', true],
    ['API.example.com', 'api.example.com', true],
    ['api.example.com', 'api.example.com.evil.com', false],
    ['api.example.com', 'xapi.example.com', false],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'aexample.com', false],
    ['*.example.com', 'a.example.com.evil.com', false],
    ['127.0.0.1', '127.0.0.1', true],
    ['*.0.0.1', '127.0.0.1', false],
    ['[::1]', '::1', true],
  ];
  for (const [pattern, host, expected] of table) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${host}`, () => assert.equal(hostMatches(pattern, host), expected));
  }
});

describe('checkPolicy', () => {
  const policy: EgressPolicy = {
    allow: [
      { host: 'api.example.com', methods: ['GET', 'POST'], pathPrefixes: ['/v1', '/status/'] },
      { host: '*.cdn.example.com' },
      { host: 'plain.example.com', ports: [80, 8080] },
    ],
  };
  const allowed: [string, string][] = [
    ['GET', 'https://api.example.com/v1'],
    ['POST', 'https://api.example.com/v1/items?x=1'],
    ['GET', 'https://api.example.com/status/ok'],
    ['DELETE', 'https://a.cdn.example.com/anything'],
    ['GET', 'http://plain.example.com/'],
    ['GET', 'http://plain.example.com:8080/'],
    ['GET', 'https://api.example.com/v1/../v1/x'],
    ['GET', 'http://api.example.com/v1'], // no ports: 80 for http, 443 for https
  ];
  const refused: [string, string][] = [
    ['DELETE', 'https://api.example.com/v1/items'],
    ['GET', 'https://api.example.com/v1x'],
    ['GET', 'https://api.example.com/v2/items'],
    ['GET', 'https://api.example.com/v1/../admin'],
    ['GET', 'https://api.example.com/status'],
    ['GET', 'https://api.example.com:80/v1'],
    ['GET', 'https://api.example.com:8443/v1'],
    ['GET', 'https://cdn.example.com/'],
    ['GET', 'https://a.b.cdn.example.com/'],
    ['GET', 'https://plain.example.com/'],
    ['GET', 'https://other.example.com/'],
  ];
  for (const [method, url] of allowed) it(`allows ${method} ${url}`, () => checkPolicy(policy, parseTarget(url), method));
  for (const [method, url] of refused) {
    it(`refuses ${method} ${url}`, () => assert.throws(() => checkPolicy(policy, parseTarget(url), method), code('EGRESS_DENIED')));
  }
});

describe('checkEgressPolicy (deploy)', () => {
  const check = (raw: unknown) => checkEgressPolicy(raw, DEFAULT_EGRESS_LIMITS, DEFAULT_MAX_EGRESS_LIMITS);

  it('normalizes hosts and methods and resolves limits', () => {
    const out = check({ allow: [{ host: 'API.Example.com', methods: ['get'] }], limits: { requests: 3 } });
    assert.deepEqual(out, { allow: [{ host: 'api.example.com', methods: ['GET'] }], limits: { ...DEFAULT_EGRESS_LIMITS, requests: 3 } });
  });

  it('refuses malformed policies with VALIDATION_FAILED', () => {
    const bad: unknown[] = [
      null, [], { allow: 'x' }, { allow: [{}] }, { allow: [{ host: '*.com' }] }, { allow: [{ host: '*' }] },
      { allow: [{ host: 'a..b' }] }, { allow: [{ host: 'a.b', ports: [0] }] }, { allow: [{ host: 'a.b', ports: [] }] },
      { allow: [{ host: 'a.b', methods: ['CONNECT'] }] }, { allow: [{ host: 'a.b', pathPrefixes: ['v1'] }] },
      { allow: [{ host: 'a.b', extra: 1 }] }, { allow: [], other: 1 }, { allow: [], limits: { bogus: 1 } },
      { allow: [], limits: { requests: 1.5 } }, { allow: [], limits: { requests: 0 } },
    ];
    for (const raw of bad) assert.throws(() => check(raw), code('VALIDATION_FAILED'), JSON.stringify(raw));
  });

  it('refuses policies that could never let a request through, saying what to write instead', () => {
    assert.throws(() => check({ allow: [] }), (err: unknown) => isAirlockError(err) && err.code === 'VALIDATION_FAILED' &&
      err.message === 'egress.allow is empty, which grants no request; list the hosts the function may reach, or leave egress out');
    for (const prefix of ['/v1/../admin', '/./v1/', '/v1/..']) {
      assert.throws(
        () => check({ allow: [{ host: 'api.test', pathPrefixes: [prefix] }] }),
        (err: unknown) => isAirlockError(err) && err.code === 'VALIDATION_FAILED' &&
          err.message === `egress.allow[0].pathPrefixes[0] ${JSON.stringify(prefix)} has a "." or ".." segment; write the path it means, e.g. "/v1/"`,
        prefix,
      );
    }
    assert.deepEqual(check({ allow: [{ host: 'api.test', pathPrefixes: ['/v1.2/..x/'] }] }).allow[0]?.pathPrefixes, ['/v1.2/..x/'], 'dots inside a segment are fine');
  });

  it('refuses limits above the operator maximum with LIMIT_ABOVE_MAXIMUM', () => {
    assert.throws(() => check({ allow: [], limits: { responseBytes: DEFAULT_MAX_EGRESS_LIMITS.responseBytes + 1 } }), code('LIMIT_ABOVE_MAXIMUM'));
  });
});

describe('secret placeholders', () => {
  it('finds plain and percent-encoded placeholders and substitutes them', () => {
    assert.deepEqual(placeholderNames('Bearer {{secrets.API_KEY}} and %7b%7Bsecrets.other-key%7D%7d'), ['API_KEY', 'other-key']);
    assert.deepEqual(placeholderNames('{{secret.X}} {{secrets.}} {{SECRETS.X}} {secrets.X} {{secrets.X'), []);
    const values = new Map([['K', 'a b/c']]);
    assert.equal(substitute('Bearer {{secrets.K}}', values, false), 'Bearer a b/c');
    assert.equal(substitute('/x/%7B%7Bsecrets.K%7D%7D?q={{secrets.K}}', values, true), '/x/a%20b%2Fc?q=a%20b%2Fc');
    assert.equal(substitute('{{secrets.UNKNOWN}}', values, false), '{{secrets.UNKNOWN}}');
  });

  it('finds mistyped placeholders, and only those', () => {
    assert.equal(mistypedPlaceholder('Bearer {{secret.K}}'), '{{secret.K}}');
    assert.equal(mistypedPlaceholder('/x/%7B%7BSECRETS.K%7D%7D'), '%7B%7BSECRETS.K%7D%7D');
    assert.equal(mistypedPlaceholder('{{ secrets.K }} and {{secrets.other}}'), undefined);
    assert.equal(mistypedPlaceholder('a {{template}} or {{ value }} that is no secret'), undefined);
  });

  it('takes spaces inside the braces, plain or percent-encoded, as URL parsing leaves them', () => {
    assert.deepEqual(placeholderNames('Bearer {{ secrets.API_KEY }} {{\tsecrets.tabbed}}'), ['API_KEY', 'tabbed']);
    const values = new Map([['K', 'v/1']]);
    assert.equal(substitute('Bearer {{  secrets.K }}', values, false), 'Bearer v/1');
    // new URL('https://h/x/{{ secrets.K }}?q={{ secrets.K }}'): braces and spaces encoded in the path, spaces in the query.
    const url = new URL('https://h/x/{{ secrets.K }}?q={{ secrets.K }}');
    assert.equal(substitute(url.pathname + url.search, values, true), '/x/v%2F1?q=v%2F1');
  });

  it('masks substituted values (raw and URL-encoded) in text and bytes', () => {
    const mask = new SecretMask();
    assert.equal(mask.used, false);
    mask.add('K', 's3cr3t value');
    assert.equal(mask.used, true);
    assert.equal(mask.mask('got s3cr3t value and s3cr3t%20value'), 'got [secret:K] and [secret:K]');
    assert.equal(mask.maskBytes(Buffer.from('{"echo":"s3cr3t value"}')).toString(), '{"echo":"[secret:K]"}');
    const untouched = Buffer.from('nothing here');
    assert.equal(mask.maskBytes(untouched), untouched);
  });
});
