/** Small statistics over samples (milliseconds, megabytes...): medians, percentiles, ranges, ratios. */

const sorted = (xs: readonly number[]): number[] => xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);

export function median(xs: readonly number[]): number {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Nearest-rank percentile (p in 0..100): the smallest sample with at least p % of them at or below it. */
export function percentile(xs: readonly number[], p: number): number {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const min = (xs: readonly number[]): number => sorted(xs)[0] ?? NaN;
export const max = (xs: readonly number[]): number => sorted(xs).at(-1) ?? NaN;

/** "median (min–max)", rounded to `digits` decimals; "—" when there is no sample. */
export function fmt(xs: readonly number[], digits = 0): string {
  if (sorted(xs).length === 0) return '—';
  if (sorted(xs).length === 1) return num(xs[0]!, digits);
  return `${num(median(xs), digits)} (${num(min(xs), digits)}–${num(max(xs), digits)})`;
}

export function num(x: number, digits = 0): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '—';
}

/** median(a) / median(b) */
export function ratio(a: readonly number[] | number, b: readonly number[] | number, digits = 2): string {
  const ma = typeof a === 'number' ? a : median(a);
  const mb = typeof b === 'number' ? b : median(b);
  return num(ma / mb, digits);
}

/** "met" / "missed" against a target, or "—" without a figure. */
export function verdict(value: number, ok: (v: number) => boolean): string {
  if (!Number.isFinite(value)) return '—';
  return ok(value) ? 'met' : '**missed**';
}

export const MB = (kib: number): number => (kib * 1024) / 1e6;
export const MiB = 2 ** 20;
