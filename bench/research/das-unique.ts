/**
 * Distinct activation units of a seeded NB201 sample (same sample, batch and initialisation as
 * bench/research/das-layers.ts and `tsnas correlate`), for DAS rules whose unit-count term counts only
 * units that behave differently (issue 9). A unit's pattern is its B-bit column of ReLU-input
 * signs over the batch; two units with the same column are indistinguishable to the kernel K_H.
 *
 *   npx tsx bench/research/das-unique.ts --n 1000 --seed 0 --data-dir ../shared/data/cifar10 --out runs/das-unique.jsonl
 *
 * Per architecture: N_A (all units, with multiplicity), U (distinct patterns over the whole
 * network), U_l summed over ReLU tensors with multiplicity (distinct within each tensor), the dead
 * (all-zero) and always-on units. Resumes: architectures already in --out are skipped.
 */
import { tf, type Tensor } from '../../src/engine/tf.js';
import { forEachPending, samplePool } from './sample-pool.js';

const pool = await samplePool('runs/das-unique.jsonl');

/** Column patterns of a B×units sign matrix as strings of B/32 words (B must be a multiple of 32). */
function columnKeys(x: Float32Array, B: number, units: number): string[] {
  const words = B >>> 5;
  const pat = new Uint32Array(units * words);
  for (let i = 0; i < B; i++) {
    const row = i * units;
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    for (let u = 0; u < units; u++) if (x[row + u]! > 0) pat[u * words + w]! |= bit;
  }
  const keys = new Array<string>(units);
  for (let u = 0; u < units; u++) {
    let k = '';
    for (let w = 0; w < words; w++) k += pat[u * words + w]!.toString(36) + ',';
    keys[u] = k;
  }
  return keys;
}

forEachPending(pool, 128, (_text, net, x) => {
  const B = 128;
  const all = new Set<string>();
  const seen = new Map<number, number>(); // tensor id -> its U_l, for repeated reads
  let NA = 0;
  let Ul = 0;
  let dead = 0;
  let on = 0;
  const zero = '0,'.repeat(B >>> 5);
  const full = `${(0xffffffff).toString(36)},`.repeat(B >>> 5);
  tf.tidy(() => {
    net.forward(x, {
      training: true,
      hooks: {
        relu: (t: Tensor) => {
          const units = t.size / B;
          NA += units;
          const hit = seen.get(t.id);
          if (hit !== undefined) {
            Ul += hit;
            return;
          }
          const keys = columnKeys(t.dataSync() as Float32Array, B, units);
          const local = new Set(keys);
          for (const k of keys) {
            all.add(k);
            if (k === zero) dead++;
            else if (k === full) on++;
          }
          seen.set(t.id, local.size);
          Ul += local.size;
        },
      },
    });
  });
  return { NA, U: all.size, Ul, dead, on };
});
