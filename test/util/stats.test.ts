import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kendallTau, kendallTauWithN, mean, median, pearson, pearsonWithN, quantile, ranks, spearman, spearmanWithN, std } from '../../src/util/stats.js';
import { TsnasError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `expected ${b}, got ${a} (diff ${Math.abs(a - b)})`);

/** O(n^2) tau-b straight from the definition. */
function kendallTauNaive(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let c = 0;
  let d = 0;
  let tx = 0; // tied in x only
  let ty = 0; // tied in y only
  const n = x.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const sx = Math.sign(x[j]! - x[i]!);
      const sy = Math.sign(y[j]! - y[i]!);
      if (sx === 0 && sy === 0) continue;
      if (sx === 0) tx++;
      else if (sy === 0) ty++;
      else if (sx === sy) c++;
      else d++;
    }
  }
  return (c - d) / Math.sqrt((c + d + tx) * (c + d + ty));
}

test('mean, std, median, quantile on small hand-computed samples', () => {
  close(mean([1, 2, 3, 4]), 2.5);
  close(std([2, 4, 4, 4, 5, 5, 7, 9]), 2);
  close(std([2, 4, 4, 4, 5, 5, 7, 9], 1), Math.sqrt(32 / 7));
  close(median([3, 1, 2]), 2);
  close(median([4, 1, 3, 2]), 2.5);
  close(quantile([1, 2, 3, 4], 0.25), 1.75);
  close(quantile([1, 2, 3, 4], 0), 1);
  close(quantile([1, 2, 3, 4], 1), 4);
  close(quantile(new Float64Array([10, 0, 5]), 0.75), 7.5);
  assert.throws(() => quantile([1], 1.5), TsnasError);
});

test('single-sample statistics ignore NaN; empty gives NaN', () => {
  close(mean([1, NaN, 3]), 2);
  close(median([NaN, 5, 1, 3]), 3);
  close(std([NaN, 1, 3]), 1);
  assert.ok(Number.isNaN(mean([])));
  assert.ok(Number.isNaN(mean([NaN])));
  assert.ok(Number.isNaN(median([])));
  assert.ok(Number.isNaN(std([7], 1)));
});

test('ranks average ties and leave NaN unranked', () => {
  assert.deepEqual(Array.from(ranks([10, 20, 20, 30])), [1, 2.5, 2.5, 4]);
  assert.deepEqual(Array.from(ranks([3, 1, 2])), [3, 1, 2]);
  assert.deepEqual(Array.from(ranks([5, 5, 5])), [2, 2, 2]);
  const r = ranks([2, NaN, 1]);
  assert.equal(r[0], 2);
  assert.ok(Number.isNaN(r[1]!));
  assert.equal(r[2], 1);
});

test('pearson on a hand-computed case', () => {
  close(pearson([1, 2, 3], [2, 4, 7]), 5 / Math.sqrt(228 / 9));
  close(pearson([1, 2, 3], [6, 4, 2]), -1);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])), 'constant sample gives NaN');
});

test('spearman without and with ties', () => {
  // d = [-2, 1, 1, -1, 1], sum d^2 = 8: rho = 1 - 6*8 / (5*24) = 0.6
  close(spearman([1, 2, 3, 4, 5], [3, 1, 2, 5, 4]), 0.6);
  // ranks x = [1, 2.5, 2.5, 4], y = [1, 3.5, 2, 3.5]: sxy = 3.75, sxx = syy = 4.5
  close(spearman([1, 2, 2, 3], [1, 3, 2, 3]), 3.75 / 4.5);
  // monotone but non-linear is still 1
  close(spearman([1, 2, 3, 4], [1, 10, 100, 1000]), 1);
});

test('kendall tau: hand-computed cases without and with ties', () => {
  // C = 7, D = 3 out of 10 pairs
  close(kendallTau([1, 2, 3, 4, 5], [3, 1, 2, 5, 4]), 0.4);
  // C = 4, D = 0, one pair tied in x only, one in y only: 4 / sqrt(5 * 5)
  close(kendallTau([1, 2, 2, 3], [1, 3, 2, 3]), 0.8);
  // joint tie (rows 2 and 3 equal in both): C = 5, D = 0, no x-only/y-only ties -> 1
  close(kendallTau([1, 2, 2, 3], [1, 2, 2, 3]), 1);
});

test('kendall tau: concordant = 1, reversed = -1, undefined = NaN', () => {
  const x = Array.from({ length: 100 }, (_, i) => i);
  close(
    kendallTau(
      x,
      x.map((v) => 3 * v + 1),
    ),
    1,
  );
  close(
    kendallTau(
      x,
      x.map((v) => -v),
    ),
    -1,
  );
  close(
    kendallTau(
      x,
      x.map((v) => Math.exp(v / 10)),
    ),
    1,
  );
  assert.ok(Number.isNaN(kendallTau([1, 2, 3], [4, 4, 4])));
  assert.ok(Number.isNaN(kendallTau([1], [2])));
  assert.ok(Number.isNaN(kendallTau([], [])));
});

test('kendall tau O(n log n) matches the O(n^2) definition on random data with ties', () => {
  const rng = new Rng(1234);
  for (let trial = 0; trial < 60; trial++) {
    const n = 2 + rng.int(300);
    const levelsX = 1 + rng.int(trial % 3 === 0 ? 5 : 50); // few levels -> many ties
    const levelsY = 1 + rng.int(trial % 2 === 0 ? 4 : 80);
    const x = Array.from({ length: n }, () => rng.int(levelsX));
    const y = x.map((v) => (rng.next() < 0.5 ? v : 0) + rng.int(levelsY));
    const fast = kendallTau(x, y);
    const slow = kendallTauNaive(x, y);
    if (Number.isNaN(slow)) assert.ok(Number.isNaN(fast), `trial ${trial}: expected NaN`);
    else close(fast, slow, 1e-12);
  }
  // continuous data (no ties)
  const x = Array.from({ length: 500 }, () => rng.normal());
  const y = x.map((v) => v + rng.normal());
  close(kendallTau(x, y), kendallTauNaive(x, y), 1e-12);
});

test('kendall tau (O(n log n)) equals the O(n²) tau-b on tied data, and runs on 200,000 points', () => {
  const rng = new Rng(7);
  const naive = (x: ArrayLike<number>, y: ArrayLike<number>) => {
    let c = 0,
      d = 0,
      tx = 0,
      ty = 0;
    for (let i = 0; i < x.length; i++) {
      for (let j = i + 1; j < x.length; j++) {
        const a = Math.sign(x[i]! - x[j]!),
          b = Math.sign(y[i]! - y[j]!);
        if (a === 0 && b === 0) continue;
        if (a === 0) tx++;
        else if (b === 0) ty++;
        else if (a === b) c++;
        else d++;
      }
    }
    return (c - d) / Math.sqrt((c + d + tx) * (c + d + ty));
  };
  const small = new Float64Array(1500).map(() => rng.int(50));
  const smallY = small.map((v) => Math.round(v + rng.normal() * 20));
  assert.ok(Math.abs(kendallTau(small, smallY) - naive(small, smallY)) < 1e-12);
  // how long the large case takes is a benchmark, not a test
  const n = 200_000;
  const x = new Float64Array(n).map(() => rng.int(1000));
  const y = x.map((v) => v + rng.normal() * 300);
  const tau = kendallTau(x, y);
  assert.ok(tau > 0.5 && tau < 1, `tau ${tau}`);
});

test('pairs with a NaN are dropped and counted', () => {
  const x = [1, NaN, 3, 4, 5];
  const y = [1, 2, NaN, 4, 3];
  const k = kendallTauWithN(x, y);
  assert.equal(k.n, 3);
  assert.equal(k.dropped, 2);
  close(k.value, kendallTau([1, 4, 5], [1, 4, 3]));
  close(k.value, 1 / 3);
  const s = spearmanWithN(x, y);
  assert.deepEqual([s.n, s.dropped], [3, 2]);
  close(s.value, 0.5);
  const p = pearsonWithN(x, y);
  assert.deepEqual([p.n, p.dropped], [3, 2]);
  close(p.value, pearson([1, 4, 5], [1, 4, 3]));
  const none = kendallTauWithN([NaN, 1], [2, NaN]);
  assert.deepEqual(none, { value: NaN, n: 0, dropped: 2 });
});

test('two-sample statistics reject samples of different lengths', () => {
  assert.throws(() => kendallTau([1, 2], [1]), TsnasError);
  assert.throws(() => spearman([1, 2], [1]), TsnasError);
  assert.throws(() => pearson([1], [1, 2]), TsnasError);
});
