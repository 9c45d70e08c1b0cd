// Naming a version by a prefix of its hash, in FunctionService on a real SQLite store: a unique
// prefix of at least 8 hex characters (any case) reads, invokes and rolls back like the whole hash,
// and everything answered carries the whole hash; a prefix several versions start with is
// VERSION_AMBIGUOUS listing them; a shorter one is VERSION_NOT_FOUND saying it is too short. The
// versions that share a prefix are written into the store directly (real hashes practically never do).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FunctionService } from '../../src/services/functions.js';
import { rejectsWith } from '../support/rejects.js';
import { makeVersion } from '../store/fixtures.js';
import { tempSqlite } from '../store/temp-sqlite.js';
import type { TempSqlite } from '../store/temp-sqlite.js';
import { SERVICE_CONFIG, testParser } from './sandboxed-parser.js';

const hash = (head: string, fill: string): string => head + fill.repeat(64 - head.length);
// Two versions share their first 9 characters; a third shares only the first 4 with them.
const TWIN_A = hash('deadbeef0', 'a');
const TWIN_B = hash('deadbeef0', 'b');
const LONE = hash('dead1234', 'c');
const LATEST = hash('0123456789ab', 'd');

async function withVersions(fn: (svc: FunctionService, t: TempSqlite) => Promise<void>): Promise<void> {
  const t = await tempSqlite();
  try {
    let at = 1_700_000_000_000;
    for (const version of [TWIN_A, TWIN_B, LONE, LATEST]) {
      await t.store.putFunctionVersion(makeVersion({ name: 'f', version, createdAt: at++ }));
    }
    await t.store.putFunctionVersion(makeVersion({ name: 'other', version: hash('deadbeef1', 'e') }));
    await t.store.putFunctionVersion(makeVersion({ tenant: 'globex', name: 'f', version: hash('dead1234', 'f') }));
    await fn(new FunctionService(t.store, SERVICE_CONFIG, testParser(), () => 2_000_000_000_000), t);
  } finally {
    await t.cleanup();
  }
}

describe('versions named by a prefix of their hash', () => {
  test('a unique prefix of 8 or more characters, in any case, reads the version with its whole hash', () =>
    withVersions(async (svc) => {
      for (const named of ['dead1234', 'dead1234ccc', LONE.slice(0, 12).toUpperCase(), LONE.toUpperCase(), LONE]) {
        assert.equal((await svc.get('acme', 'f', named)).version, LONE, named);
      }
      assert.equal((await svc.get('acme', 'f', 'deadbeef0a')).version, TWIN_A, 'more characters tell the twins apart');
      assert.equal((await svc.get('acme', 'f', '0123456789AB')).version, LATEST);
    }));

  test('rollback by a prefix moves the latest to the whole hash', () =>
    withVersions(async (svc) => {
      const rolled = await svc.setLatest('acme', 'f', 'dead1234');
      assert.deepEqual([rolled.version.version, rolled.previousLatest], [LONE, LATEST]);
      assert.equal((await svc.get('acme', 'f')).version, LONE);
      const back = await svc.setLatest('acme', 'f', '0123456789ab');
      assert.deepEqual([back.version.version, back.previousLatest], [LATEST, LONE]);
    }));

  test('a prefix several versions start with is VERSION_AMBIGUOUS, listing them, and changes nothing', () =>
    withVersions(async (svc) => {
      for (const prefix of ['deadbeef', 'DEADBEEF0']) {
        const err = await rejectsWith(svc.get('acme', 'f', prefix), 'VERSION_AMBIGUOUS');
        assert.equal(err.status, 400);
        assert.deepEqual(err.details?.candidates, [TWIN_A, TWIN_B], "only this function's, in order");
        assert.match(err.message, new RegExp(`^version "${prefix.toLowerCase()}" of function acme/f is ambiguous: ${TWIN_A}, ${TWIN_B} start with it; give more characters`));
        assert.match(err.message, /list them with `airlock functions acme\/f --versions`/);
      }
      await rejectsWith(svc.setLatest('acme', 'f', 'deadbeef'), 'VERSION_AMBIGUOUS');
      assert.equal((await svc.get('acme', 'f')).version, LATEST, 'the latest stays');
    }));

  test('an ambiguous prefix lists at most 5 candidates, and says there are more', () =>
    withVersions(async (svc, t) => {
      for (const fill of ['1', '2', '3', '4', '5']) await t.store.putFunctionVersion(makeVersion({ name: 'f', version: hash('deadbeef0', fill) }));
      const err = await rejectsWith(svc.get('acme', 'f', 'deadbeef'), 'VERSION_AMBIGUOUS');
      assert.equal((err.details?.candidates as string[]).length, 5);
      assert.match(err.message, / and more start with it/);
    }));

  test('a prefix shorter than 8 characters, or one no version has, is VERSION_NOT_FOUND saying so', () =>
    withVersions(async (svc) => {
      const short = await rejectsWith(svc.get('acme', 'f', 'dead123'), 'VERSION_NOT_FOUND');
      assert.equal(short.status, 404);
      assert.match(short.message, new RegExp(`^function acme/f has no version "dead123"; the latest is ${LATEST}\\. "dead123" is too short to name one: give at least the first 8 characters of its hash \\(or all 64\\)`));
      const none = await rejectsWith(svc.get('acme', 'f', 'feedface'), 'VERSION_NOT_FOUND');
      assert.match(none.message, /A version is the content hash deploy answered \(64 hex characters\) or a unique prefix of it of at least 8/);
      assert.equal(none.details?.latestVersion, LATEST);
      await rejectsWith(svc.get('acme', 'f', 'deadbeef1'), 'VERSION_NOT_FOUND'); // another function's
      await rejectsWith(svc.get('acme', 'f', 'not-a-hash'), 'VERSION_NOT_FOUND');
      await rejectsWith(svc.get('acme', 'nope', 'dead1234'), 'FUNCTION_NOT_FOUND');
      await rejectsWith(svc.setLatest('acme', 'f', 'feedface'), 'VERSION_NOT_FOUND');
    }));
});
