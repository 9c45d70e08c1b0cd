// The JSON text of answers with a result spliced in (src/api/result-json.ts): the same JSON as
// serializing the whole answer, for every shape of answer, and only large results are spliced.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SPLICE_MIN_CHARS, answerJson, splicesResult, withoutResultJson } from '../../src/api/result-json.js';

describe('answers with a result as JSON text', () => {
  const results: unknown[] = [null, 0, 'text "quoted" \u2028', [1, [2]], { nested: { a: [true, false] } }, 'x'.repeat(SPLICE_MIN_CHARS)];
  const fieldSets: Record<string, unknown>[] = [{}, { executionId: 'ex_1', status: 'succeeded', logs: [{ ts: 1, level: 'info', msg: 'é' }], durationMs: 1.5, start: null }];

  it('is the JSON of the whole answer, with or without other fields', () => {
    for (const fields of fieldSets) {
      for (const result of results) {
        const text = answerJson({ ...fields, result, resultJson: JSON.stringify(result) });
        assert.deepEqual(JSON.parse(text), { ...fields, result });
      }
      assert.deepEqual(JSON.parse(answerJson({ ...fields })), fields, 'no result: no result field');
      assert.deepEqual(JSON.parse(answerJson({ ...fields, result: [1] })), { ...fields, result: [1] }, 'a result without its text is serialized');
    }
  });

  it('never reads the result of an answer that has its text (a result read on the parser thread is parsed only on demand)', () => {
    const answer = { status: 'succeeded', resultJson: '{"made":"once"}' };
    Object.defineProperty(answer, 'result', { enumerable: true, get: () => assert.fail('the result was read') });
    assert.equal(answerJson(answer), '{"status":"succeeded","result":{"made":"once"}}');
  });

  it('splices the text as it is (the text made once, not the value)', () => {
    assert.equal(answerJson({ status: 'succeeded', result: { stale: true }, resultJson: '{"made":"once"}' }), '{"status":"succeeded","result":{"made":"once"}}');
  });

  it('splices only results of SPLICE_MIN_CHARS and more, and the view never carries the text', () => {
    assert.equal(splicesResult({ result: 1, resultJson: '1' }), false);
    assert.equal(splicesResult({ result: 'x', resultJson: 'x'.repeat(SPLICE_MIN_CHARS) }), true);
    assert.equal(splicesResult({ result: 1 }), false);
    assert.deepEqual(withoutResultJson({ status: 'succeeded', result: 1, resultJson: '1' }), { status: 'succeeded', result: 1 });
  });
});
