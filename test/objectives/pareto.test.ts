import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crowdingDistance, dominates, hypervolume, nonDominatedRanks, nonDominatedSort, paretoFront, paretoFrontIndices, trueParetoFront } from '../../src/objectives/pareto.js';
import { loadNb201Table } from '../../src/benchmarks/nb201-table.js';
import { TsnasError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { nb201Path, nb201SkipReason } from '../helpers/bench-path.js';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `expected ${b}, got ${a}`);

/** Exact hypervolume (minimisation) by inclusion–exclusion over all subsets: small n only. */
function hvInclusionExclusion(points: number[][], ref: number[]): number {
  const pts = points.filter((p) => p.every((v, k) => v < ref[k]!));
  const n = pts.length;
  let total = 0;
  for (let mask = 1; mask < 1 << n; mask++) {
    const corner = ref.map(() => -Infinity);
    let bits = 0;
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) {
        bits++;
        pts[i]!.forEach((v, k) => (corner[k] = Math.max(corner[k]!, v)));
      }
    }
    const vol = corner.reduce((acc, v, k) => acc * (ref[k]! - v), 1);
    total += bits % 2 === 1 ? vol : -vol;
  }
  return total;
}

test('dominates respects directions', () => {
  assert.equal(dominates([1, 1], [2, 2]), true);
  assert.equal(dominates([1, 2], [1, 2]), false, 'equal vectors do not dominate');
  assert.equal(dominates([1, 2], [1, 3]), true);
  assert.equal(dominates([1, 3], [2, 2]), false);
  assert.equal(dominates([90, 5], [80, 6], ['max', 'min']), true);
  assert.equal(dominates([90, 5], [80, 6], 'max'), false);
  assert.equal(dominates([3], [2], 'max'), true);
  assert.throws(() => dominates([1, 2], [1]), TsnasError);
  assert.throws(() => dominates([1, NaN], [1, 2]), TsnasError);
  assert.throws(() => dominates([1, 2], [1, 2], ['min']), TsnasError);
});

test('non-dominated sort of a hand-made set', () => {
  const pts = [
    [1, 5], // 0 A  front 0
    [2, 3], // 1 B  front 0
    [4, 1], // 2 C  front 0
    [3, 4], // 3 D  dominated by B -> front 1
    [5, 5], // 4 E  dominated by D, G -> front 2
    [2, 3], // 5 F  duplicate of B -> front 0
    [4, 2], // 6 G  dominated by C -> front 1
  ];
  assert.deepEqual(nonDominatedSort(pts), [[0, 1, 2, 5], [3, 6], [4]]);
  assert.deepEqual(Array.from(nonDominatedRanks(pts)), [0, 0, 0, 1, 2, 0, 1]);
  assert.deepEqual(paretoFrontIndices(pts), [0, 1, 2, 5]);
  assert.deepEqual(paretoFront(pts), [
    [1, 5],
    [2, 3],
    [4, 1],
    [2, 3],
  ]);
  // maximising both turns it around: E alone is best
  assert.deepEqual(nonDominatedSort(pts, 'max')[0], [4]);
  assert.deepEqual(nonDominatedSort([]), []);
});

test('paretoFrontIndices agrees with the first front of nonDominatedSort on random sets', () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 30; trial++) {
    const m = 1 + rng.int(4);
    const n = 1 + rng.int(80);
    const pts = Array.from({ length: n }, () => Array.from({ length: m }, () => rng.int(6)));
    const dirs = Array.from({ length: m }, () => (rng.next() < 0.5 ? 'min' : 'max') as 'min' | 'max');
    assert.deepEqual(paretoFrontIndices(pts, dirs), nonDominatedSort(pts, dirs)[0]);
  }
});

test('crowding distance: infinite at the extremes, normalised gaps inside', () => {
  const d = crowdingDistance([
    [1, 4],
    [2, 3],
    [3, 2],
    [4, 1],
  ]);
  assert.equal(d[0], Infinity);
  assert.equal(d[3], Infinity);
  close(d[1]!, 2 / 3 + 2 / 3);
  close(d[2]!, 2 / 3 + 2 / 3);
  // uneven spacing: the interior point next to a big gap is less crowded
  const e = crowdingDistance([
    [0, 10],
    [1, 9],
    [2, 8],
    [10, 0],
  ]);
  close(e[1]!, 2 / 10 + 2 / 10);
  close(e[2]!, 9 / 10 + 9 / 10);
  assert.deepEqual(
    Array.from(
      crowdingDistance([
        [1, 2],
        [2, 1],
      ]),
    ),
    [Infinity, Infinity],
  );
  assert.deepEqual(Array.from(crowdingDistance([])), []);
});

test('2-D hypervolume, hand-computed', () => {
  close(
    hypervolume(
      [
        [1, 3],
        [2, 2],
        [3, 1],
      ],
      [4, 4],
    ),
    6,
  );
  close(hypervolume([[1, 1]], [3, 5]), 8);
  // accuracy (max) vs latency (min), reference (0 %, 20 ms): 900 + 1200 - 800
  close(
    hypervolume(
      [
        [90, 10],
        [80, 5],
      ],
      [0, 20],
      ['max', 'min'],
    ),
    1300,
  );
  close(hypervolume([], [1, 1]), 0);
  // points outside the reference box contribute nothing
  close(
    hypervolume(
      [
        [5, 0],
        [0, 5],
        [1, 1],
      ],
      [4, 4],
    ),
    9,
  );
});

test('3-D hypervolume, hand-computed', () => {
  close(hypervolume([[1, 1, 1]], [2, 2, 2]), 1);
  // 4 + 2 - 1
  close(
    hypervolume(
      [
        [0, 0, 1],
        [1, 1, 0],
      ],
      [2, 2, 2],
    ),
    5,
  );
  // 3 boxes of 6, pairwise overlaps of 2, triple overlap 1: 18 - 6 + 1
  close(
    hypervolume(
      [
        [1, 2, 3],
        [2, 3, 1],
        [3, 1, 2],
      ],
      [4, 4, 4],
    ),
    13,
  );
  // same set with the first objective maximised (mirror it)
  close(
    hypervolume(
      [
        [-1, 2, 3],
        [-2, 3, 1],
        [-3, 1, 2],
      ],
      [-4, 4, 4],
      ['max', 'min', 'min'],
    ),
    13,
  );
});

test('hypervolume is unchanged by dominated points and duplicates', () => {
  const front = [
    [1, 2, 3],
    [2, 3, 1],
    [3, 1, 2],
  ];
  const ref = [4, 4, 4];
  const base = hypervolume(front, ref);
  close(hypervolume([...front, [3, 3, 3], [2, 3, 3.5], ...front, [1, 2, 3]], ref), base);
  const f2 = [
    [1, 3],
    [2, 2],
    [3, 1],
  ];
  close(hypervolume([...f2, [3, 3], [2, 2], [2, 2], [1, 3.9]], [4, 4]), 6);
});

test('hypervolume matches inclusion–exclusion on random sets in 2-5 dimensions', () => {
  const rng = new Rng(99);
  for (let trial = 0; trial < 40; trial++) {
    const m = 2 + (trial % 4);
    const n = 1 + rng.int(9);
    const pts = Array.from({ length: n }, () => Array.from({ length: m }, () => Math.round(rng.next() * 10) / 10));
    const ref = Array.from({ length: m }, () => 1);
    close(hypervolume(pts, ref), hvInclusionExclusion(pts, ref), 1e-9);
  }
});

test('3-D hypervolume agrees with a Monte-Carlo estimate', () => {
  const rng = new Rng(2024);
  // 40 points near the simplex x + y + z = 1, plus dominated ones
  const pts: number[][] = [];
  for (let i = 0; i < 40; i++) {
    const a = rng.next();
    const b = rng.next();
    const c = rng.next();
    const s = a + b + c;
    pts.push([a / s, b / s, c / s]);
  }
  for (let i = 0; i < 20; i++) pts.push([0.5 + rng.next(), 0.5 + rng.next(), 0.5 + rng.next()]);
  const ref = [1.2, 1.2, 1.2];
  const exact = hypervolume(pts, ref);
  const samples = 200_000;
  let hits = 0;
  const q = [0, 0, 0];
  for (let s = 0; s < samples; s++) {
    q[0] = rng.next() * 1.2;
    q[1] = rng.next() * 1.2;
    q[2] = rng.next() * 1.2;
    for (const p of pts) {
      if (p[0]! <= q[0] && p[1]! <= q[1] && p[2]! <= q[2]) {
        hits++;
        break;
      }
    }
  }
  const box = 1.2 ** 3;
  const estimate = (hits / samples) * box;
  // standard error of the estimate: box * sqrt(p(1-p)/N) ~ 0.002; allow 5 sigma
  const p = hits / samples;
  const se = box * Math.sqrt((p * (1 - p)) / samples);
  assert.ok(Math.abs(estimate - exact) < 5 * se, `exact ${exact}, Monte-Carlo ${estimate} ± ${se}`);
});

test('hypervolume input errors', () => {
  assert.throws(() => hypervolume([[1, 2, 3]], [4, 4]), TsnasError);
  assert.throws(() => hypervolume([[1, 2]], [4, Infinity]), TsnasError);
  assert.throws(() => hypervolume([[1, 2]], []), TsnasError);
  assert.throws(() => hypervolume([[1, NaN]], [4, 4]), TsnasError);
});

test('NB201 true Pareto front (cifar10 test accuracy max, Pixel 3 latency min)', { skip: nb201SkipReason }, async () => {
  const table = await loadNb201Table(nb201Path);
  const objectives = [
    { column: 'cifar10_test_acc', direction: 'max' as const },
    { column: 'pixel3', direction: 'min' as const },
  ];
  const front = trueParetoFront(table, objectives);
  assert.ok(front.length >= 2, `front of ${front.length}`);
  const best = table.best('cifar10_test_acc', 'max');
  assert.ok(
    front.some((r) => r.arch === best.arch),
    `best-accuracy arch ${best.arch} missing from the front`,
  );
  assert.equal(front[0]!.arch, best.arch, 'front is sorted best accuracy first');
  const fastest = table.best('lat_pixel3_ms', 'min');
  assert.ok(front.some((r) => r.values['lat_pixel3_ms'] === fastest.values['lat_pixel3_ms']));

  const acc = table.column('cifar10_test_acc');
  const lat = table.column('lat_pixel3_ms');
  const inFront = new Set(front.map((r) => r.index));
  // no table row dominates a front member ...
  for (const r of front) {
    const a = r.values['cifar10_test_acc']!;
    const l = r.values['lat_pixel3_ms']!;
    for (let i = 0; i < table.size; i++) {
      const dom = acc[i]! >= a && lat[i]! <= l && (acc[i]! > a || lat[i]! < l);
      assert.ok(!dom, `row ${i} dominates front member ${r.arch}`);
    }
  }
  // ... and every other row is dominated by a front member
  const rows = [...table.rows()];
  for (let i = 0; i < rows.length; i++) {
    if (inFront.has(rows[i]!.index)) continue;
    const dominated = front.some(
      (r) => r.values['cifar10_test_acc']! >= acc[i]! && r.values['lat_pixel3_ms']! <= lat[i]! && (r.values['cifar10_test_acc']! > acc[i]! || r.values['lat_pixel3_ms']! < lat[i]!),
    );
    assert.ok(dominated, `row ${rows[i]!.arch} is neither on the front nor dominated by it`);
  }
  // the front's hypervolume is the table's hypervolume
  const pts = [...table.rows()].map((r) => [r.values['cifar10_test_acc']!, r.values['lat_pixel3_ms']!]);
  const ref = [0, Math.max(...lat) + 1];
  close(
    hypervolume(
      front.map((r) => [r.values['cifar10_test_acc']!, r.values['lat_pixel3_ms']!]),
      ref,
      ['max', 'min'],
    ),
    hypervolume(pts, ref, ['max', 'min']),
    1e-6,
  );
});
