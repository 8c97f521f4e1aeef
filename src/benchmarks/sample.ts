/** Seeded samples of a benchmark table's architectures. */
import { TsnasError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/** A uniform sample without replacement of n table architectures (seeded shuffle). */
export function sampleTableArchs(all: readonly string[], n: number, seed: number): string[] {
  if (n > all.length) throw new TsnasError(`--n ${n} exceeds the ${all.length} architectures in the table`);
  const idx = Array.from({ length: all.length }, (_, i) => i);
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(idx.length - i);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, n).map((i) => all[i]!);
}
