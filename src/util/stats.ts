/**
 * Descriptive and rank statistics used to evaluate proxies and searches (e.g. the Kendall tau of a
 * training-free score against NAS-Bench-201 test accuracy).
 *
 * NaN policy (the same everywhere in this module):
 * - Single-sample statistics (`mean`, `std`, `median`, `quantile`) ignore NaN entries, like numpy's
 *   `nanmean` & co. With no finite-or-infinite (non-NaN) values left they return NaN.
 * - Two-sample statistics (`pearson`, `spearman`, `kendallTau`) drop every *pair* in which either
 *   value is NaN, then compute on what is left. The `...WithN` variants return the number of pairs
 *   used (`n`) and dropped (`dropped`) alongside the value. Fewer than 2 pairs, or a sample with no
 *   variation (all values equal), gives NaN: the coefficient is undefined there.
 * - `ranks` gives NaN entries a NaN rank and ranks the remaining values among themselves.
 *
 * Inputs are any numeric array-likes (`number[]`, `Float64Array`, ...). Two-sample functions throw a
 * TsnasError when the lengths differ.
 */
import { TsnasError } from './errors.js';

export type NumArray = ArrayLike<number>;

/** A correlation coefficient with the number of (NaN-free) pairs it was computed on. */
export interface CorrelationResult {
  /** The coefficient, in [-1, 1], or NaN when undefined (n < 2 or a constant sample). */
  value: number;
  /** Pairs used. */
  n: number;
  /** Pairs dropped because one of their values was NaN. */
  dropped: number;
}

function nonNaN(x: NumArray): number[] {
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isNaN(v)) out.push(v);
  }
  return out;
}

/** Arithmetic mean of the non-NaN values (NaN if there are none). */
export function mean(x: NumArray): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isNaN(v)) continue;
    s += v;
    n++;
  }
  return n === 0 ? NaN : s / n;
}

/**
 * Standard deviation of the non-NaN values, `sqrt(sum((x - mean)^2) / (n - ddof))`.
 * `ddof = 0` (the default, as in numpy) is the population form; pass `ddof = 1` for the sample
 * (Bessel-corrected) form. NaN when `n - ddof <= 0`.
 */
export function std(x: NumArray, ddof = 0): number {
  const v = nonNaN(x);
  const n = v.length;
  if (n - ddof <= 0) return NaN;
  const m = mean(v);
  let ss = 0;
  for (const a of v) ss += (a - m) * (a - m);
  return Math.sqrt(ss / (n - ddof));
}

/**
 * The q-quantile (0 <= q <= 1) of the non-NaN values, with linear interpolation between order
 * statistics (numpy's default "linear" method, Hyndman–Fan type 7). NaN for an empty sample.
 */
export function quantile(x: NumArray, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new TsnasError(`quantile: q must be in [0, 1], got ${q}`);
  const v = nonNaN(x).sort((a, b) => a - b);
  const n = v.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = v[lo]!;
  const b = v[hi]!;
  const frac = h - lo;
  return frac === 0 ? a : a + (b - a) * frac;
}

/** Median of the non-NaN values (mean of the middle two for an even count). */
export function median(x: NumArray): number {
  return quantile(x, 0.5);
}

/**
 * 1-based ranks with ties given the average of the ranks they span ("fractional" ranking, as in
 * scipy's `rankdata(method='average')`). NaN entries get a NaN rank and do not take part.
 */
export function ranks(x: NumArray): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(x[i]!)) out[i] = NaN;
    else idx.push(i);
  }
  idx.sort((a, b) => x[a]! - x[b]! || a - b);
  let i = 0;
  while (i < idx.length) {
    let j = i + 1;
    while (j < idx.length && x[idx[j]!] === x[idx[i]!]) j++;
    // positions i..j-1 (0-based) hold equal values: ranks i+1..j, average (i+1+j)/2
    const r = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) out[idx[k]!] = r;
    i = j;
  }
  return out;
}

function checkSameLength(name: string, x: NumArray, y: NumArray): void {
  if (x.length !== y.length) {
    throw new TsnasError(`${name}: the two samples differ in length (${x.length} vs ${y.length})`);
  }
}

/** The pairs of (x, y) in which neither value is NaN. */
function dropNaNPairs(name: string, x: NumArray, y: NumArray): { xs: Float64Array; ys: Float64Array; dropped: number } {
  checkSameLength(name, x, y);
  const n = x.length;
  let keep = 0;
  for (let i = 0; i < n; i++) if (!Number.isNaN(x[i]!) && !Number.isNaN(y[i]!)) keep++;
  const xs = new Float64Array(keep);
  const ys = new Float64Array(keep);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i]!;
    const b = y[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    xs[k] = a;
    ys[k] = b;
    k++;
  }
  return { xs, ys, dropped: n - keep };
}

function pearsonNoNaN(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  if (n < 2) return NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/** Pearson's correlation coefficient, with the pair count. */
export function pearsonWithN(x: NumArray, y: NumArray): CorrelationResult {
  const { xs, ys, dropped } = dropNaNPairs('pearson', x, y);
  return { value: pearsonNoNaN(xs, ys), n: xs.length, dropped };
}

/** Pearson's correlation coefficient (NaN pairs dropped). */
export function pearson(x: NumArray, y: NumArray): number {
  return pearsonWithN(x, y).value;
}

/** Spearman's rho (Pearson of average ranks, so ties are handled), with the pair count. */
export function spearmanWithN(x: NumArray, y: NumArray): CorrelationResult {
  const { xs, ys, dropped } = dropNaNPairs('spearman', x, y);
  return { value: pearsonNoNaN(ranks(xs), ranks(ys)), n: xs.length, dropped };
}

/** Spearman's rank correlation (NaN pairs dropped). */
export function spearman(x: NumArray, y: NumArray): number {
  return spearmanWithN(x, y).value;
}

/** Number of tied pairs, sum of t(t-1)/2 over runs of equal values, in an already sorted array. */
function tiedPairs(sorted: Float64Array): number {
  let total = 0;
  let run = 1;
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) run++;
    else {
      total += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  total += (run * (run - 1)) / 2;
  return total;
}

/**
 * Sorts `a` ascending in place (stable bottom-up merge sort) and returns the number of swaps, i.e.
 * of pairs i < j with a[i] > a[j] strictly (equal values are not counted).
 */
function mergeSortCountInversions(a: Float64Array): number {
  const n = a.length;
  let src: Float64Array = a;
  let dst: Float64Array = new Float64Array(n);
  let swaps = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (src[i]! <= src[j]!) dst[k++] = src[i++]!;
        else {
          // src[j] jumps over every remaining element of the left run
          swaps += mid - i;
          dst[k++] = src[j++]!;
        }
      }
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== a) a.set(src);
  return swaps;
}

/**
 * Kendall's tau-b, with the pair count. O(n log n) by Knight's algorithm: sort the pairs by (x, y),
 * count ties in x and joint ties, then merge-sort the y sequence counting swaps (discordant pairs)
 * and count ties in y:
 *
 *   tau_b = (n0 - n1 - n2 + n3 - 2 * swaps) / sqrt((n0 - n1) * (n0 - n2))
 *
 * with n0 = n(n-1)/2, n1 / n2 the pairs tied in x / y, n3 the pairs tied in both.
 */
export function kendallTauWithN(x: NumArray, y: NumArray): CorrelationResult {
  const { xs, ys, dropped } = dropNaNPairs('kendallTau', x, y);
  const n = xs.length;
  if (n < 2) return { value: NaN, n, dropped };
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => xs[a]! - xs[b]! || ys[a]! - ys[b]!);
  const sx = new Float64Array(n);
  const sy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    sx[i] = xs[order[i]!]!;
    sy[i] = ys[order[i]!]!;
  }
  const n0 = (n * (n - 1)) / 2;
  const n1 = tiedPairs(sx);
  // joint ties: runs where both x and y are equal (adjacent after the (x, y) sort)
  let n3 = 0;
  let run = 1;
  for (let i = 1; i < n; i++) {
    if (sx[i] === sx[i - 1] && sy[i] === sy[i - 1]) run++;
    else {
      n3 += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  n3 += (run * (run - 1)) / 2;
  const swaps = mergeSortCountInversions(sy); // sy is now sorted ascending
  const n2 = tiedPairs(sy);
  const denom = Math.sqrt((n0 - n1) * (n0 - n2));
  if (denom === 0) return { value: NaN, n, dropped };
  const tau = (n0 - n1 - n2 + n3 - 2 * swaps) / denom;
  return { value: Math.max(-1, Math.min(1, tau)), n, dropped };
}

/** Kendall's tau-b (ties handled; NaN pairs dropped). O(n log n). */
export function kendallTau(x: NumArray, y: NumArray): number {
  return kendallTauWithN(x, y).value;
}
