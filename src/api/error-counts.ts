// airlock_api_errors_total{status,code}: the error answers the API sent, by HTTP status and the
// error code of their body. Counted where each error body is written (errors.ts, the secrets
// routes' handler, protocol-errors.ts, the not-found handler), so an answered request that did
// not fail never pays for it. Codes come from a fixed set (core/errors.ts), so the series stay few.
import type { Registry } from 'prom-client';
import { CountSeries, countersFrom } from './metric-series.js';

/** What writers of error answers need: one call per answer. */
export interface ErrorCounter {
  count(status: number, code: string): void;
}

export class ApiErrorCounts implements ErrorCounter {
  readonly #series = new Map<string, CountSeries>();

  constructor() {
    // The answers an operator alerts on exist from the start at 0, so a rate() over them has data.
    this.count(500, 'INTERNAL', 0);
    this.count(401, 'UNAUTHORIZED', 0);
  }

  count(status: number, code: string, by = 1): void {
    const key = `${status} ${code}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = new CountSeries({ status: String(status), code });
      this.#series.set(key, series);
    }
    series.value += by;
  }

  register(registry: Registry): void {
    countersFrom(
      'airlock_api_errors_total',
      'Error answers the API sent ({"error":{"code","message"}}), by HTTP status and error code: refused keys, validation, limits, 429s, 5xx',
      ['status', 'code'],
      [registry],
      () => [...this.#series.values()],
    );
  }
}
