/**
 * Percentile bootstrap intervals for statistics of paired samples (a rank correlation, a ratio of
 * two correlations on the same architectures): resample the n pairs with replacement B times,
 * seeded, and take the (1−level)/2 and (1+level)/2 quantiles of the statistic. Pairs are resampled
 * together so that two proxies scored on the same architectures keep their dependence.
 */
import { Rng } from './rng.js';
import { quantile } from './stats.js';

export interface BootstrapOptions {
  /** Resamples (default 1000). */
  resamples?: number;
  /** Interval coverage (default 0.95). */
  level?: number;
  seed?: number;
}

/**
 * [lo, hi] of `stat` over bootstrap resamples of the indices 0..n−1. `stat` gets the resampled
 * indices and computes the statistic on them; resamples where it is not finite are left out.
 */
export function bootstrapInterval(n: number, stat: (idx: Uint32Array) => number, o: BootstrapOptions = {}): [number, number] {
  const B = o.resamples ?? 1000;
  const level = o.level ?? 0.95;
  const rng = new Rng(o.seed ?? 0);
  const values: number[] = [];
  const idx = new Uint32Array(n);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    const v = stat(idx);
    if (Number.isFinite(v)) values.push(v);
  }
  return [quantile(values, (1 - level) / 2), quantile(values, (1 + level) / 2)];
}

/** The entries of `xs` at `idx`. */
export function pick(xs: ArrayLike<number>, idx: Uint32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = xs[idx[i]!]!;
  return out;
}
