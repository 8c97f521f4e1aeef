import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapInterval, pick } from '../../src/util/bootstrap.js';
import { Rng } from '../../src/util/rng.js';

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;

test('bootstrap: the interval of a mean matches the normal approximation mean ± 1.96·s/√n', () => {
  const rng = new Rng(7);
  const n = 400;
  // uniform on [0, 1): s = 1/√12
  const xs = Float64Array.from({ length: n }, () => rng.next());
  const m = mean(xs);
  const half = (1.96 * Math.sqrt(1 / 12)) / Math.sqrt(n);
  const [lo, hi] = bootstrapInterval(n, (idx) => mean(pick(xs, idx)), { resamples: 2000, seed: 1 });
  assert.ok(Math.abs(lo - (m - half)) < 0.15 * half, `lo ${lo} vs ${m - half}`);
  assert.ok(Math.abs(hi - (m + half)) < 0.15 * half, `hi ${hi} vs ${m + half}`);
});

test('bootstrap: seeded, nested by level, and exact for a statistic that does not vary', () => {
  const xs = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
  const stat = (idx: Uint32Array) => mean(pick(xs, idx));
  assert.deepEqual(bootstrapInterval(50, stat, { seed: 3 }), bootstrapInterval(50, stat, { seed: 3 }));
  assert.notDeepEqual(bootstrapInterval(50, stat, { seed: 3 }), bootstrapInterval(50, stat, { seed: 4 }));
  const [lo95, hi95] = bootstrapInterval(50, stat, { seed: 3, level: 0.95 });
  const [lo80, hi80] = bootstrapInterval(50, stat, { seed: 3, level: 0.8 });
  assert.ok(lo95 < lo80 && hi80 < hi95);
  assert.deepEqual(
    bootstrapInterval(50, () => 2.5, { resamples: 20 }),
    [2.5, 2.5],
  );
  // resamples where the statistic is undefined are left out
  let k = 0;
  assert.deepEqual(
    bootstrapInterval(10, () => (k++ % 2 ? NaN : 1), { resamples: 20 }),
    [1, 1],
  );
});
