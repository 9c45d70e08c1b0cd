// Guards for untrusted JSON: nesting depth without recursion, and input serialization limits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAirlockError } from '../../src/core/errors.js';
import { exceedsDepth, inputProblem, SerializedInput, serializeInput, stringifyWithInput } from '../../src/core/json.js';

describe('exceedsDepth', () => {
  it('measures nesting depth without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(exceedsDepth(deep, 256), true);
    assert.equal(exceedsDepth({ a: [{ b: 1 }] }, 3), false);
    assert.equal(exceedsDepth({ a: [{ b: {} }] }, 3), true);
    assert.equal(exceedsDepth('scalar', 0), false);
    assert.equal(exceedsDepth({}, 0), true);
    assert.equal(exceedsDepth([[], {}], 2), false);
    assert.equal(exceedsDepth([[], [{}]], 2), true);
    assert.equal(exceedsDepth({ a: { b: [] } }, 2), true);
  });

  it('keeps nothing per empty container of a wide input (a 1M-element array of [] stays under 8 MiB of heap)', () => {
    const wide: unknown[] = [];
    for (let i = 0; i < 1_000_000; i++) wide.push([]);
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    // The depth check runs synchronously; measure right after it, when a stack it kept would still be
    // garbage not yet collected (a scavenge can only lower the number, never raise it).
    assert.equal(exceedsDepth(wide, 256), false);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    assert.ok(peak - before < 8 * 1024 * 1024, `the depth check took ${Math.round((peak - before) / 1024 / 1024)} MiB of heap`);
  });
});

describe('inputProblem', () => {
  it('finds a number JSON.parse read as Infinity, at the top or nested, and nesting too deep', () => {
    assert.equal(inputProblem(JSON.parse('1e400'), 8), 'non-finite');
    assert.equal(inputProblem(JSON.parse('{"a": [{"b": -1e400}]}'), 8), 'non-finite');
    assert.equal(inputProblem(JSON.parse('{"a": [1.7976931348623157e308, -5e-324, 0]}'), 8), undefined);
    assert.equal(inputProblem([[[1]]], 2), 'too-deep');
    assert.equal(inputProblem('text', 0), undefined);
    assert.equal(exceedsDepth([Infinity], 2), false, 'the depth check alone (results, checkpoints) does not look at numbers');
  });
});

describe('serializeInput', () => {
  it('serializes undefined as null and refuses inputs over the byte or depth limit', () => {
    assert.equal(serializeInput(undefined, 8, 100, 100), 'null');
    assert.throws(() => serializeInput({ s: 'x'.repeat(200) }, 8, 100, 100), (e: unknown) => isAirlockError(e) && e.code === 'INPUT_TOO_LARGE');
    assert.throws(() => serializeInput([[[[1]]]], 3, 100, 100), (e: unknown) => isAirlockError(e) && e.code === 'INPUT_TOO_DEEP');
    assert.throws(
      () => serializeInput({ n: JSON.parse('1e400') }, 8, 100, 100),
      (e: unknown) => isAirlockError(e) && e.code === 'BAD_REQUEST' && /too large for a double .* send such numbers as strings/.test(e.message),
    );
  });

  it('says whether redeploying with a higher limit can help or only the operator can', () => {
    const big = { s: 'x'.repeat(200) };
    assert.throws(() => serializeInput(big, 8, 100, 1_000), /send less, or redeploy the function with a higher limits\.inputBytes \(at most 1000, the operator maximum\)$/);
    assert.throws(() => serializeInput(big, 8, 100, 100), /send less, or ask the operator to raise AIRLOCK_MAX_INPUT_BYTES \(the function already has the maximum\)$/);
  });
});

describe('stringifyWithInput', () => {
  it('writes a SerializedInput as its JSON text, and anything else as JSON.stringify does', () => {
    const input = new SerializedInput('{"a":[1,"x"]}', 13, undefined);
    assert.deepEqual(JSON.parse(stringifyWithInput({ input, version: 'v1', n: 2 })!), { input: { a: [1, 'x'] }, version: 'v1', n: 2 });
    assert.equal(stringifyWithInput({ input }), '{"input":{"a":[1,"x"]}}');
    assert.equal(stringifyWithInput({ input: { a: 1 }, b: [2] }), '{"input":{"a":1},"b":[2]}');
    assert.equal(stringifyWithInput(null), 'null');
    assert.equal(stringifyWithInput(undefined), undefined);
  });
});
