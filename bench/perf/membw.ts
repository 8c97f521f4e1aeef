/**
 * Bandwidth of the native memory-bound kernels (BN forward/backward, Add) against a plain
 * two-pass copy measured in the same run, at 1 and 2 threads, on a 4 MB tensor (the NB201
 * supernet's 64×32×32×16, cache-resident on big-L3 CPUs) and a 67 MB one (DRAM-bound).
 * A kernel far below the copy's GB/s at 2 threads has a parallelisation defect (this found
 * per-thread partials sharing a cache line). Usage: npx tsx bench/perf/membw.ts
 */
import { loadNativeAddon } from '../../src/engine/native/index.js';
const ad = loadNativeAddon();
const C = 16;
let copyGbs = 1;
for (const M of [64 * 32 * 32, 16 * 64 * 32 * 32]) {
  const n = M * C;
  const mk = () => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
    return a;
  };
  const x = mk(),
    y = mk(),
    dy = mk(),
    dx = mk(),
    x2 = mk();
  const g = new Float32Array(C).fill(1),
    b = new Float32Array(C),
    mean = new Float32Array(C),
    inv = new Float32Array(C),
    dg = new Float32Array(C),
    db = new Float32Array(C);
  const t = (name: string, passes: number, f: () => void) => {
    for (let i = 0; i < 2; i++) f();
    const ts: number[] = [];
    for (let i = 0; i < 9; i++) {
      const t0 = performance.now();
      f();
      ts.push(performance.now() - t0);
    }
    ts.sort((a, b) => a - b);
    const ms = ts[4]!;
    const gbs = (passes * n * 4) / ms / 1e6;
    if (name.startsWith('copy')) copyGbs = gbs;
    console.log(`${((n * 4) / 1e6).toFixed(0)}MB ${name.padEnd(14)} ${ms.toFixed(3)} ms  ${gbs.toFixed(1)} GB/s  ${(gbs / copyGbs).toFixed(2)}× copy`);
  };
  for (const th of [1, 2]) {
    ad.configure({ threads: th });
    console.log(`threads ${th}`);
    t('copy(affine)', 2, () => ad.affine(x, g, b, y));
    t('add', 3, () => ad.binary.Add(x, 1, n, x2, 1, n, y));
    t('bnFwd', 3, () => ad.bnAffineForward(x, g, b, y, mean, inv, C, 1e-5));
    t('bnBwd', 5, () => ad.bnAffineBackward(dy, x, mean, inv, g, dx, dg, db, C));
  }
}
