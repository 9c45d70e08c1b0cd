// The undo list of a failed start: closes run newest first, all of them, even when one fails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CleanupStack } from '../../src/core/cleanup-stack.js';

describe('CleanupStack', () => {
  it('closes everything registered, last opened first, and only once', async () => {
    const closed: string[] = [];
    const stack = new CleanupStack();
    stack.add(() => closed.push('cgroups'));
    stack.add(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      closed.push('sandboxes');
    });
    stack.add(() => closed.push('store'));
    await stack.closeAll(() => assert.fail('no close failed'));
    assert.deepEqual(closed, ['store', 'sandboxes', 'cgroups']);
    await stack.closeAll(() => assert.fail('no close failed'));
    assert.deepEqual(closed, ['store', 'sandboxes', 'cgroups'], 'a second closeAll closes nothing again');
  });

  it('a close that fails is reported and the rest still close', async () => {
    const closed: string[] = [];
    const reported: unknown[] = [];
    const stack = new CleanupStack();
    stack.add(() => closed.push('first'));
    stack.add(() => {
      throw new Error('cannot close');
    });
    stack.add(() => Promise.reject(new Error('cannot close either')));
    await stack.closeAll((err) => reported.push(err));
    assert.deepEqual(closed, ['first']);
    assert.deepEqual(reported.map((e) => (e as Error).message), ['cannot close either', 'cannot close']);
  });
});
