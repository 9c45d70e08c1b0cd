// Asserting a typed refusal: the promise rejects with an AirlockError of the given code (its
// message shown when the code differs); the error is returned for further checks.
import assert from 'node:assert/strict';
import { isAirlockError } from '../../src/core/errors.js';
import type { AirlockError, ErrorCode } from '../../src/core/errors.js';

export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<AirlockError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isAirlockError(err), `expected an AirlockError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but it resolved`);
}
