// The one fake of the store-failure tests: the real store, wrapped (AirlockOverrides.wrapStore) so
// that writing execution records fails like a full disk while `full()` says so.
import type { ExecutionRecord } from '../../src/core/types.js';
import type { Store } from '../../src/store/port.js';

export function failRecordWritesWhile(full: () => boolean): (real: Store) => Store {
  return (real) =>
    new Proxy(real, {
      get(target, prop) {
        if (prop === 'insertExecutions' && full()) {
          return async (_records: ExecutionRecord[]) => {
            throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
}
