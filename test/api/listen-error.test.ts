// The server's port refusals become LISTEN_FAILED errors that say how to fix them; anything else
// passes through unchanged. (The real EADDRINUSE and EADDRNOTAVAIL cases run end to end in
// test/cli/server-process.test.ts; EACCES cannot be provoked as root, so it is built here.)
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

  it('passes other errors through unchanged', () => {
    const other = errno('EMFILE');
    assert.equal(listenError(other, '127.0.0.1', 8080), other);
    const plain = new Error('boom');
    assert.equal(listenError(plain, '127.0.0.1', 8080), plain);
    assert.equal(listenError(undefined, '127.0.0.1', 8080), undefined);
  });
});
