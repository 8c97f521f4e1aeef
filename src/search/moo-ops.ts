/** Variation operators of the multi-objective strategies: uniform crossover per edge / per node. */
import { formatGenotype, formatNb201, type AnyArch, type GeneEntry } from '../spaces/index.js';
import type { Rng } from '../util/rng.js';

type Nb = Extract<AnyArch, { space: 'nb201' }>;
type Da = Extract<AnyArch, { space: 'darts' }>;

/** Each of the 6 edges' op from either parent with probability 1/2. */
export function crossoverNb201(a: Nb, b: Nb, rng: Rng): Nb {
  const ops = a.arch.ops.map((op, e) => (rng.next() < 0.5 ? op : b.arch.ops[e]!));
  const arch = { ops };
  return { space: 'nb201', arch, text: formatNb201(arch) };
}

/**
 * Each node's pair of (op, input) entries from either parent, per cell: a node's two inputs stay
 * distinct, so the child is a valid genotype.
 */
export function crossoverGenotype(a: Da, b: Da, rng: Rng): Da {
  const cell = (x: readonly GeneEntry[], y: readonly GeneEntry[]): GeneEntry[] => {
    const out: GeneEntry[] = [];
    for (let n = 0; n < x.length; n += 2) {
      const src = rng.next() < 0.5 ? x : y;
      out.push(src[n]!, src[n + 1]!);
    }
    return out;
  };
  const arch = { normal: cell(a.arch.normal, b.arch.normal), normalConcat: a.arch.normalConcat, reduce: cell(a.arch.reduce, b.arch.reduce), reduceConcat: a.arch.reduceConcat };
  return { space: 'darts', arch, text: formatGenotype(arch) };
}
