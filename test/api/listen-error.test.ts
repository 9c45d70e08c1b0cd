// The server's port refusals and host names that do not resolve become LISTEN_FAILED errors that
// say how to fix them; anything else passes through unchanged. (The real EADDRINUSE,
// EADDRNOTAVAIL and ENOTFOUND cases run end to end in test/cli/server-process.test.ts; EACCES
// cannot be provoked as root, so it is built here, and so are the look-up failures, shaped like
// the errors Node's dns.lookup gives: no name is ever looked up here.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listenError } from '../../src/api/listen-error.js';
import { AirlockError } from '../../src/core/errors.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`listen ${code}`), { code, syscall: 'listen' });
}

describe('listenError', () => {
  it('names the port in use and how to pick another', () => {
    const err = listenError(errno('EADDRINUSE'), '127.0.0.1', 8080);
    assert.ok(err instanceof AirlockError);
    assert.equal(err.code, 'LISTEN_FAILED');
    assert.match(err.message, /port 8080 on 127\.0\.0\.1 is already in use/);
    assert.match(err.message, /AIRLOCK_PORT or --port/);
    assert.deepEqual(err.details, { host: '127.0.0.1', port: 8080, errno: 'EADDRINUSE' });
  });

  it('explains privileged ports', () => {
    const err = listenError(errno('EACCES'), '0.0.0.0', 80) as AirlockError;
    assert.equal(err.code, 'LISTEN_FAILED');
    assert.match(err.message, /not allowed to listen on 0\.0\.0\.0:80: ports below 1024 need root or CAP_NET_BIND_SERVICE/);
  });

  it('explains a host that is not an address of this machine', () => {
    const err = listenError(errno('EADDRNOTAVAIL'), '192.0.2.1', 8080) as AirlockError;
    assert.equal(err.code, 'LISTEN_FAILED');
    assert.match(err.message, /192\.0\.2\.1 is not an address of this machine; set AIRLOCK_HOST/);
  });

  it('explains a host name that does not resolve, whatever getaddrinfo said', () => {
    const lookup = (code: string): NodeJS.ErrnoException =>
      Object.assign(new Error(`getaddrinfo ${code} nonexistent.invalid`), { code, syscall: 'getaddrinfo', hostname: 'nonexistent.invalid' });
    for (const [code, why] of [
      ['ENOTFOUND', /no such name/],
      ['EAI_AGAIN', /the name server did not answer/],
      ['EAI_FAIL', /could not be resolved \(EAI_FAIL\)/],
      ['EAI_NODATA', /could not be resolved \(EAI_NODATA\)/],
    ] as const) {
      const err = listenError(lookup(code), 'nonexistent.invalid', 18901);
      assert.ok(err instanceof AirlockError, `${code}: ${String(err)}`);
      assert.equal(err.code, 'LISTEN_FAILED');
      assert.match(err.message, /^cannot listen on nonexistent\.invalid:18901: looking up nonexistent\.invalid failed: /);
      assert.match(err.message, why);
      assert.match(err.message, /set AIRLOCK_HOST \(or --host\) to an IP address of this machine or a name that resolves to one/);
      assert.deepEqual(err.details, { host: 'nonexistent.invalid', port: 18901, errno: code });
    }
  });

  it('passes other errors through unchanged', () => {
    const other = errno('EMFILE');
    assert.equal(listenError(other, '127.0.0.1', 8080), other);
    const plain = new Error('boom');
    assert.equal(listenError(plain, '127.0.0.1', 8080), plain);
    assert.equal(listenError(undefined, '127.0.0.1', 8080), undefined);
  });
});
