// The warm-up of a sandbox before it says ready (the `hello` frame's `warmup`, see Warmup in
// runtime/protocol.ts): the harness runs a throwaway function through the same path a call takes,
// so that its first real call pays only for the tenant module itself.
import type { RunFrame, Warmup } from '../protocol.js';
import { handleRun } from './run.js';
import { forgetModule } from './tenant-module.js';

const FULL =
  'export default async (input, ctx) => { console.log("warm", input); void ctx.signal; ' +
  'if (input.fail) throw new Error("warm-up"); return { warm: input }; };';
const LOADER = 'export default async (input, ctx) => { void ctx.signal; return { warm: input }; };';

/**
 * Loads one module through the same path tenant code takes (a data: URL, dynamic import), so the
 * ESM loader is initialized before ready; `full` also logs an object and throws, once each. Best
 * effort: a failure here is the first run's to see.
 */
export async function warmUp(level: Exclude<Warmup, 'none'>): Promise<void> {
  try {
    // One complete run through the same path a call takes (module import from a data: URL, ctx,
    // result serialization; for `full` also console capture and the error path), its answer
    // dropped: V8 compiles lazily, so this moves that first-time cost out of the first real call.
    const frame: RunFrame = {
      t: 'run', id: 'warmup', tenant: 'warmup', fn: { name: 'warmup', version: 'warmup', code: level === 'full' ? FULL : LOADER },
      input: { warm: [1, 'up'] }, timeoutMs: 60_000, signalLeadMs: 1_000,
      resultBytes: 1024, logBytes: 1024,
    };
    await handleRun(frame, undefined);
    if (level === 'full') {
      await handleRun({ ...frame, id: 'warmup-2', fn: { name: 'warmup', version: 'warmup' }, input: { fail: true } }, undefined);
    }
    forgetModule('warmup');
  } catch {
    // ignored
  }
}
