/**
 * Pareto tooling for multi-objective search: dominance, NSGA-II's fast non-dominated sort and
 * crowding distance, Pareto fronts, and exact hypervolume.
 *
 * An objective vector is a `readonly number[]`; every vector in a call has the same length m.
 * `directions` says, per objective, whether smaller (`'min'`) or larger (`'max'`) is better; a
 * single string applies to all objectives. Where it is optional it defaults to `'min'`.
 * NaN objective values are rejected with a TsnasError (they have no place in an order).
 *
 * Dominance: a dominates b when a is no worse than b in every objective and strictly better in at
 * least one. Equal vectors do not dominate each other, so duplicates of a non-dominated point are
 * all on the front (and all in the same non-dominated-sort rank).
 */
import { TsnasError } from '../util/errors.js';
import type { Nb201Row, Nb201Table } from '../benchmarks/nb201-table.js';

export type Direction = 'min' | 'max';
export type Directions = Direction | readonly Direction[];
export type ObjectiveVector = readonly number[];

function dirArray(directions: Directions, m: number, where: string): Direction[] {
  if (typeof directions === 'string') {
    if (directions !== 'min' && directions !== 'max') {
      throw new TsnasError(`${where}: direction must be 'min' or 'max', got '${String(directions)}'`);
    }
    return new Array<Direction>(m).fill(directions);
  }
  if (directions.length !== m) {
    throw new TsnasError(`${where}: ${directions.length} directions given for ${m} objectives`);
  }
  for (const d of directions) {
    if (d !== 'min' && d !== 'max') {
      throw new TsnasError(`${where}: direction must be 'min' or 'max', got '${String(d)}'`);
    }
  }
  return [...directions];
}

/**
 * Validates the points (same dimension, no NaN) and returns them converted to minimisation
 * (objectives to maximise are negated), with the dimension.
 */
function toMinimisation(points: readonly ObjectiveVector[], directions: Directions, where: string, dim?: number): { pts: Float64Array[]; m: number; dirs: Direction[] } {
  const m = dim ?? (points.length > 0 ? points[0]!.length : typeof directions === 'string' ? 0 : directions.length);
  const dirs = dirArray(directions, m, where);
  const pts = points.map((p, i) => {
    if (p.length !== m) {
      throw new TsnasError(`${where}: point ${i} has ${p.length} objectives, expected ${m}`);
    }
    const q = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      const v = p[k]!;
      if (Number.isNaN(v)) throw new TsnasError(`${where}: point ${i} has a NaN in objective ${k}`);
      q[k] = dirs[k] === 'max' ? -v : v;
    }
    return q;
  });
  return { pts, m, dirs };
}

/** a dominates b, both already in minimisation form. */
function dominatesMin(a: Float64Array, b: Float64Array): boolean {
  let strictly = false;
  for (let k = 0; k < a.length; k++) {
    if (a[k]! > b[k]!) return false;
    if (a[k]! < b[k]!) strictly = true;
  }
  return strictly;
}

/** True when `a` Pareto-dominates `b` (no worse everywhere, strictly better somewhere). */
export function dominates(a: ObjectiveVector, b: ObjectiveVector, directions: Directions = 'min'): boolean {
  if (a.length !== b.length) {
    throw new TsnasError(`dominates: vectors differ in length (${a.length} vs ${b.length})`);
  }
  const { pts } = toMinimisation([a, b], directions, 'dominates');
  return dominatesMin(pts[0]!, pts[1]!);
}

/**
 * Fast non-dominated sort (Deb et al., NSGA-II), O(m n^2). Returns the fronts as lists of point
 * indices (ascending within a front): fronts[0] is the Pareto front, fronts[1] what becomes
 * non-dominated once fronts[0] is removed, and so on.
 */
export function nonDominatedSort(points: readonly ObjectiveVector[], directions: Directions = 'min'): number[][] {
  const { pts } = toMinimisation(points, directions, 'nonDominatedSort');
  const n = pts.length;
  const dominatedBy = new Int32Array(n); // how many points dominate i
  const dominatesList: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dominatesMin(pts[i]!, pts[j]!)) {
        dominatesList[i]!.push(j);
        dominatedBy[j]!++;
      } else if (dominatesMin(pts[j]!, pts[i]!)) {
        dominatesList[j]!.push(i);
        dominatedBy[i]!++;
      }
    }
  }
  const fronts: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < n; i++) if (dominatedBy[i] === 0) current.push(i);
  while (current.length > 0) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominatesList[i]!) {
        if (--dominatedBy[j]! === 0) next.push(j);
      }
    }
    next.sort((a, b) => a - b);
    current = next;
  }
  return fronts;
}

/** The non-domination rank of each point (0 = on the Pareto front), as from `nonDominatedSort`. */
export function nonDominatedRanks(points: readonly ObjectiveVector[], directions: Directions = 'min'): Int32Array {
  const rank = new Int32Array(points.length);
  nonDominatedSort(points, directions).forEach((front, r) => {
    for (const i of front) rank[i] = r;
  });
  return rank;
}

/**
 * NSGA-II crowding distance of each point of a set (normally one front). Per objective the points
 * are sorted; the two extremes get +Infinity and each interior point adds the normalised gap
 * between its neighbours, (f[next] - f[prev]) / (f_max - f_min). An objective with no spread adds
 * nothing. With 2 points or fewer every distance is Infinity. Directions do not matter here.
 */
export function crowdingDistance(points: readonly ObjectiveVector[]): Float64Array {
  const { pts, m } = toMinimisation(points, 'min', 'crowdingDistance');
  const n = pts.length;
  const dist = new Float64Array(n);
  if (n <= 2) return dist.fill(Infinity);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < m; k++) {
    order.sort((a, b) => pts[a]![k]! - pts[b]![k]! || a - b);
    const lo = pts[order[0]!]![k]!;
    const hi = pts[order[n - 1]!]![k]!;
    dist[order[0]!] = Infinity;
    dist[order[n - 1]!] = Infinity;
    const span = hi - lo;
    if (!(span > 0) || !Number.isFinite(span)) continue;
    for (let r = 1; r < n - 1; r++) {
      const i = order[r]!;
      dist[i]! += (pts[order[r + 1]!]![k]! - pts[order[r - 1]!]![k]!) / span;
    }
  }
  return dist;
}

/**
 * Indices (ascending) of the non-dominated points. O(n log n + n f m) for a front of size f:
 * points are visited in lexicographic order, which puts every dominator before what it dominates,
 * and each is compared only with the front found so far. Duplicated non-dominated vectors are all
 * kept.
 */
export function paretoFrontIndices(points: readonly ObjectiveVector[], directions: Directions = 'min'): number[] {
  const { pts, m } = toMinimisation(points, directions, 'paretoFront');
  const order = Array.from({ length: pts.length }, (_, i) => i);
  order.sort((a, b) => {
    const pa = pts[a]!;
    const pb = pts[b]!;
    for (let k = 0; k < m; k++) if (pa[k] !== pb[k]) return pa[k]! - pb[k]!;
    return a - b;
  });
  const front: number[] = [];
  for (const i of order) {
    const p = pts[i]!;
    let dominated = false;
    for (const j of front) {
      if (dominatesMin(pts[j]!, p)) {
        dominated = true;
        break;
      }
    }
    if (!dominated) front.push(i);
  }
  return front.sort((a, b) => a - b);
}

/** The non-dominated points themselves, in input order. */
export function paretoFront<P extends ObjectiveVector>(points: readonly P[], directions: Directions = 'min'): P[] {
  return paretoFrontIndices(points, directions).map((i) => points[i]!);
}

/** 2-D hypervolume of minimisation points that all strictly dominate the reference. */
function hv2(pts: Float64Array[], r0: number, r1: number): number {
  const sorted = [...pts].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let hv = 0;
  let prevY = r1;
  for (const p of sorted) {
    if (p[1]! < prevY) {
      hv += (r0 - p[0]!) * (prevY - p[1]!);
      prevY = p[1]!;
    }
  }
  return hv;
}

/**
 * Exact hypervolume by slicing the last objective: sort by it and, between consecutive distinct
 * values, multiply the slab thickness by the (d-1)-dimensional hypervolume of the points already
 * swept. O(n^(d-1) log n); 2-D is a single sort and sweep.
 */
function hvRec(pts: Float64Array[], ref: Float64Array, d: number): number {
  if (pts.length === 0) return 0;
  if (d === 1) {
    let best = Infinity;
    for (const p of pts) best = Math.min(best, p[0]!);
    return ref[0]! - best;
  }
  if (d === 2) return hv2(pts, ref[0]!, ref[1]!);
  const k = d - 1;
  const sorted = [...pts].sort((a, b) => a[k]! - b[k]!);
  let hv = 0;
  let i = 0;
  while (i < sorted.length) {
    const z = sorted[i]![k]!;
    let j = i;
    while (j < sorted.length && sorted[j]![k] === z) j++;
    const zNext = j < sorted.length ? sorted[j]![k]! : ref[k]!;
    hv += (zNext - z) * hvRec(sorted.slice(0, j), ref, k);
    i = j;
  }
  return hv;
}

/**
 * Exact hypervolume (Lebesgue measure) of the region dominated by `points` and bounded by
 * `reference`, in objective units. `directions` defaults to `'min'`; for a `'max'` objective the
 * reference is a lower bound (e.g. 0 accuracy), for `'min'` an upper bound (e.g. the worst
 * latency). Points that are not strictly better than the reference in every objective contribute
 * nothing and are ignored. Dominated points and duplicates do not change the result.
 *
 * Any dimension m >= 1 is exact (recursive slicing, O(n^(m-1) log n)): 2-D is O(n log n), 3-D
 * O(n^2 log n). Points are reduced to their Pareto front first, which keeps it fast in practice.
 */
export function hypervolume(points: readonly ObjectiveVector[], reference: ObjectiveVector, directions: Directions = 'min'): number {
  const m = reference.length;
  if (m === 0) throw new TsnasError('hypervolume: the reference point has no objectives');
  const { pts, dirs } = toMinimisation(points, directions, 'hypervolume', m);
  const ref = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const v = reference[k]!;
    if (!Number.isFinite(v)) throw new TsnasError(`hypervolume: reference objective ${k} is ${v}; it must be finite`);
    ref[k] = dirs[k] === 'max' ? -v : v;
  }
  const inside = pts.filter((p) => p.every((v, k) => v < ref[k]!));
  if (inside.length === 0) return 0;
  const front = paretoFrontIndices(
    inside.map((p) => Array.from(p)),
    'min',
  ).map((i) => inside[i]!);
  // drop exact duplicates (they would only repeat work)
  const seen = new Set<string>();
  const unique = front.filter((p) => {
    const key = Array.from(p).join(',');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return hvRec(unique, ref, m);
}

/** One objective of a NAS-Bench-201 Pareto front: a table column (or alias) and its direction. */
export interface TableObjective {
  column: string;
  direction: Direction;
}

/**
 * The true Pareto front of a NAS-Bench-201 table under the given objectives (e.g.
 * `[{ column: 'cifar10_test_acc', direction: 'max' }, { column: 'pixel3', direction: 'min' }]`).
 * Rows with a NaN in any objective are left out. Returns the front rows sorted by the first
 * objective, best first (ties by table index).
 */
export function trueParetoFront(table: Nb201Table, objectives: readonly TableObjective[]): Nb201Row[] {
  if (objectives.length === 0) throw new TsnasError('trueParetoFront: give at least one objective');
  const cols = objectives.map((o) => table.column(o.column));
  const dirs = objectives.map((o) => o.direction);
  const rows = [...table.rows()];
  const keep: number[] = [];
  const points: number[][] = [];
  for (let i = 0; i < rows.length; i++) {
    const p = cols.map((c) => c[i]!);
    if (p.some((v) => Number.isNaN(v))) continue;
    keep.push(i);
    points.push(p);
  }
  const front = paretoFrontIndices(points, dirs).map((j) => keep[j]!);
  const sign = dirs[0] === 'max' ? -1 : 1;
  const c0 = cols[0]!;
  front.sort((a, b) => sign * (c0[a]! - c0[b]!) || rows[a]!.index - rows[b]!.index);
  return front.map((i) => rows[i]!);
}
