// Fail closed per sandbox: wraps an isolator so that every sandbox it spawns is checked against
// the required layers before anyone can use it. A sandbox that came up without one (a cgroup
// that could not be joined, a filter that was not applied) is destroyed and the spawn fails.
// A deploy's parse check sandbox is held to the same layers before it is sent the module.
import { AirlockError } from '../../core/errors.js';
import type { SecurityLayer } from '../../core/types.js';
import type { Isolator, Sandbox, SpawnOptions } from '../port.js';

export function requireLayers(inner: Isolator, required: readonly SecurityLayer[]): Isolator {
  if (required.length === 0) return inner;
  return {
    name: inner.name,
    isolation: inner.isolation,
    check: () => inner.check(),
    close: () => inner.close(),
    parseModule: (req) => inner.parseModule({ ...req, requiredLayers: required }),
    async spawn(opts: SpawnOptions): Promise<Sandbox> {
      const sandbox = await inner.spawn(opts);
      const missing = required.filter((l) => !sandbox.layers.includes(l));
      if (missing.length === 0) return sandbox;
      await sandbox.destroy();
      throw new AirlockError(
        'SANDBOX_FAILED',
        `a sandbox started without required isolation layer(s) ${missing.join(', ')} and was destroyed ` +
          'before running anything; run `airlock doctor` to see why',
        { missing },
      );
    },
  };
}
