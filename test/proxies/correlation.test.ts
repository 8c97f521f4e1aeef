import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correlateScores } from '../../src/proxies/correlation.js';

test('correlateScores: τ and ρ by hand, the ratio to the baseline, intervals around the point value', () => {
  const y = [1, 2, 3, 4, 5];
  // a: one discordant pair of 10 → τ = (9 − 1)/10 = 0.8; ρ = 1 − 6·2/(5·24) = 0.9
  // b: concordant except two pairs → τ = (8 − 2)/10 = 0.6
  const r = correlateScores({ a: [1, 2, 3, 5, 4], b: [2, 1, 3, 5, 4], perfect: [10, 20, 30, 40, 50] }, y, { baseline: 'a', bootstrap: { resamples: 300, seed: 1 } });
  assert.equal(r['a']!.kendall, 0.8);
  assert.ok(Math.abs(r['a']!.spearman - 0.9) < 1e-12);
  assert.ok(Math.abs(r['b']!.kendall - 0.6) < 1e-12);
  assert.equal(r['a']!.ratio, undefined);
  assert.ok(Math.abs(r['b']!.ratio!.value - 0.75) < 1e-12);
  assert.equal(r['perfect']!.ratio!.value, 1.25);
  // a statistic that is 1 on every resample has the interval [1, 1]
  assert.deepEqual(r['perfect']!.kendall_ci, [1, 1]);
  for (const k of ['a', 'b']) {
    const c = r[k]!;
    assert.ok(c.kendall_ci![0] <= c.kendall && c.kendall <= c.kendall_ci![1], `${k}: ${c.kendall} outside ${c.kendall_ci}`);
    assert.ok(c.kendall_ci![0] < c.kendall_ci![1]);
  }
});

test('correlateScores: null and NaN scores are dropped pairwise; no bootstrap when asked', () => {
  const r = correlateScores({ p: [1, null, 3, NaN, 5, 6] }, [1, 2, 3, 4, 5, 6], { bootstrap: false });
  assert.equal(r['p']!.n, 4);
  assert.equal(r['p']!.kendall, 1);
  assert.equal(r['p']!.kendall_ci, undefined);
});
