/**
 * Per-layer activation statistics of a seeded NB201 sample, for exploring DAS combination rules
 * offline (issue 9). The same sample, batch and initialisation as `tsnas correlate --n N --seed S`
 * (the seeded shuffle is a prefix: the first 1,000 of n = 3,000 are the n = 1,000 sample), one
 * forward pass per architecture, one JSON line each:
 *
 *   npx tsx bench/research/das-layers.ts --n 1200 --seed 0 --data-dir ../shared/data/cifar10 --out runs/das-layers.jsonl
 *
 * A line holds the table accuracies, NASWOT and the two atomic terms (units = B·ln N_A,
 * dis = ln|K̂|), and per ReLU tensor (forward order): units, multiplicity, ln|K̂_l + 1e-3·I|, the
 * active fraction (mean and std over samples), the mean and minimum normalised Hamming distance
 * between samples; per resolution stage (the units per sample tell the stage apart): the unit count
 * N_s and ln|K̂_s| of the stage's whole kernel. `bench/research/das-rules.ts` fits rules on these lines.
 * Resumes: architectures already in --out are skipped.
 */
import { arg, forEachPending, samplePool } from './sample-pool.js';
import { collectActivationStats, dasTerms, logAbsDet, naswotScore } from '../../src/proxies/index.js';

const pool = await samplePool('runs/das-layers.jsonl');
const { table } = pool;
const batchSize = Number(arg('batch', '128'));
const cols = ['cifar10_test_acc', 'cifar10_valid_val_acc', 'cifar100_test_acc', 'imagenet16_120_test_acc'];
forEachPending(pool, batchSize, (text, net, x) => {
  const s = collectActivationStats(net, x);
  const B = s.batch;
  const ld = (ham: Float64Array, units: number, delta: number) => {
    const k = new Float64Array(B * B);
    for (let i = 0; i < k.length; i++) k[i] = 1 - ham[i]! / units;
    for (let i = 0; i < B; i++) k[i * B + i]! += delta;
    return logAbsDet(k, B);
  };
  // mean and minimum off-diagonal normalised Hamming distance, std over samples of the active fraction
  const hamStats = (ham: Float64Array, units: number) => {
    let sum = 0;
    let min = Infinity;
    for (let i = 0; i < B; i++)
      for (let j = i + 1; j < B; j++) {
        const d = ham[i * B + j]! / units;
        sum += d;
        if (d < min) min = d;
      }
    return { h: sum / ((B * (B - 1)) / 2), hmin: min };
  };
  const layers = s.layers.map((l) => {
    const fr = Array.from(l.active, (v) => v / l.units);
    const mu = fr.reduce((p, q) => p + q, 0) / B;
    const sd = Math.sqrt(fr.reduce((p, q) => p + (q - mu) ** 2, 0) / B);
    return { u: l.units, m: l.multiplicity, ld: ld(l.hamming, l.units, 1e-3), a: mu, asd: sd, ...hamStats(l.hamming, l.units) };
  });
  // stages by units per sample, in order of first appearance
  const stageOf = new Map<number, { N: number; ham: Float64Array }>();
  for (const l of s.layers) {
    let st = stageOf.get(l.units);
    if (!st) stageOf.set(l.units, (st = { N: 0, ham: new Float64Array(B * B) }));
    st.N += l.units * l.multiplicity;
    for (let i = 0; i < st.ham.length; i++) st.ham[i]! += l.multiplicity * l.hamming[i]!;
  }
  const stages = [...stageOf.entries()].map(([u, st]) => ({ u, N: st.N, ld: ld(st.ham, st.N, 0), ldd: ld(st.ham, st.N, 1e-3) }));
  const terms = dasTerms(s);
  const acc = Object.fromEntries(cols.map((c) => [c, table.value(text, c)]));
  return { acc, naswot: naswotScore(s), units: terms.units, dis: terms.dis, N: s.totalUnits, layers, stages };
});
