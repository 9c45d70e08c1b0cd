// The lean metric series behind metrics.ts: counters kept as plain numbers and copied into
// prom-client at scrape time (countersFrom), and histograms kept as bucket counts and rendered in
// the Prometheus text format here, so that recording on the invoke hot path allocates nothing.
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

export type Labels = Readonly<Record<string, string>>;

/** One counter series: a plain number, copied into prom-client at scrape time. */
export class CountSeries {
  readonly labels: Labels;
  value = 0;
  constructor(labels: Labels) {
    this.labels = labels;
  }
}

/** One histogram series: per-bucket counts (last slot: above the top bound), sum and count. */
export class HistogramSeries {
  readonly labels: Labels;
  readonly bounds: readonly number[];
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const v = value > 0 ? value : 0; // negative or NaN: a clock glitch, count it as 0
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && v > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels, le?: string): string {
  const parts: string[] = le === undefined ? [] : [`le="${le}"`];
  for (const [k, v] of Object.entries(labels)) parts.push(`${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** A histogram made of HistogramSeries, rendered in the Prometheus text format. */
export class LeanHistogram {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: readonly number[];
  readonly #series: HistogramSeries[] = [];

  constructor(name: string, help: string, bounds: readonly number[]) {
    this.#name = name;
    this.#help = help;
    this.#bounds = bounds;
  }

  series(labels: Labels): HistogramSeries {
    const s = new HistogramSeries(labels, this.#bounds);
    this.#series.push(s);
    return s;
  }

  render(): string {
    const name = this.#name;
    const lines = [`# HELP ${name} ${this.#help}`, `# TYPE ${name} histogram`];
    for (const s of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += s.counts[i]!;
        lines.push(`${name}_bucket${labelText(s.labels, String(bound))} ${cumulative}`);
      });
      lines.push(`${name}_bucket${labelText(s.labels, '+Inf')} ${s.count}`);
      lines.push(`${name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

/** A prom-client counter whose values are copied from `read()` series at every scrape. */
export function countersFrom(
  name: string,
  help: string,
  labelNames: string[],
  registers: Registry[],
  read: () => CountSeries[],
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const s of read()) this.inc(s.labels, s.value);
    },
  });
}
