// The warm-up of a blank sandbox (a `hello` frame with prewarm): before it says ready, the
// harness runs a throwaway function through the same path a call takes, so a blank sandbox's
// first real call pays only for the tenant module itself.
import type { RunFrame } from '../protocol.js';
import { handleRun } from './run.js';
import { forgetModule } from './tenant-module.js';

/**
 * Loads one module through the same path tenant code takes (a data: URL, dynamic import), so the
 * ESM loader is initialized before ready. Best effort: a failure here is the first run's to see.
 */
export async function warmLoader(): Promise<void> {
  try {
    // One complete run through the same path a call takes (module import from a data: URL, ctx,
    // console capture, result and error serialization), its answer dropped: V8 compiles lazily,
    // so this moves that first-time cost out of a blank sandbox's first real call.
    const code =
      'export default async (input, ctx) => { console.log("warm", input); void ctx.signal; ' +
      'if (input.fail) throw new Error("warm-up"); return { warm: input }; };';
    const frame: RunFrame = {
      t: 'run', id: 'warmup', tenant: 'warmup', fn: { name: 'warmup', version: 'warmup', code },
      input: { warm: [1, 'up'] }, timeoutMs: 60_000, signalLeadMs: 1_000,
      resultBytes: 1024, logBytes: 1024,
    };
    await handleRun(frame, undefined);
    await handleRun({ ...frame, id: 'warmup-2', fn: { name: 'warmup', version: 'warmup' }, input: { fail: true } }, undefined);
    forgetModule('warmup');
  } catch {
    // ignored
  }
}
