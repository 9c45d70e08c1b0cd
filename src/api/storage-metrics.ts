// airlock_database_bytes{file}: the size on disk of the SQLite database (`db`) and of its log
// (`wal`), read at each scrape (two stat calls). Execution records and finished jobs pile up until
// AIRLOCK_RETENTION_HOURS deletes them, and the file never shrinks by itself: this is what the
// operator sizes the retention and the data dir's disk by, and alerts on before the disk is full
// (the disk's own free space comes from the host's exporter).
import { statSync } from 'node:fs';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** Size of `path` in bytes; 0 when it does not exist (no log after a clean stop) or cannot be read. */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export class StorageMetrics {
  readonly #file: string;

  /** `file`: the SQLite database (its log is `${file}-wal`). */
  constructor(file: string) {
    this.#file = file;
  }

  register(registry: Registry): void {
    const file = this.#file;
    new Gauge({
      name: 'airlock_database_bytes',
      help: 'Size on disk of the SQLite database (file="db") and its log (file="wal"), bytes, read at each scrape; it grows with execution records and finished jobs until AIRLOCK_RETENTION_HOURS deletes them, and space freed is reused, not given back (VACUUM)',
      labelNames: ['file'] as const,
      registers: [registry],
      collect() {
        this.set({ file: 'db' }, sizeOf(file));
        this.set({ file: 'wal' }, sizeOf(`${file}-wal`));
      },
    });
  }
}
