/**
 * TND-NAS's policy on the DARTS space, whose samples are valid DARTS genotypes. Per cell kind
 * (normal, reduce):
 *
 *   - per intermediate node j (2..5), a categorical over the C(j, 2) unordered pairs of its inputs
 *     {a < b} ⊂ {0..j−1} (1, 3, 6, 10 pairs; rows 28..35 of α);
 *   - per edge (14, DARTS_EDGES order), a categorical over the 7 real DARTS ops (`none` is not an
 *     op a genotype uses: the pair choice is what switches edges off; rows 0..27 of α).
 *
 * A sample draws each node's pair, then the op of each of its two chosen edges; the edges a node
 * did not pick are not drawn (−1 in the choice), so log p(genotype) = Σ_nodes log p(pair) +
 * Σ_chosen edges log p(op) and REINFORCE updates only what the sample used. Progressive shrinking
 * acts on the op rows (P-DARTS's 8 → 5 → 3 without `none`: 7 → 5 → 3); pairs are never shrunk.
 *
 * Relation to the paper: the author's code (a P-DARTS fork) samples one op per edge on all 14 edges,
 * `none` included, and derives the final cell by P-DARTS's top-2-edges rule, so its sampled subnets
 * are not the genotypes it returns. Here every sample is a genotype, whose parameters, FLOPs and
 * latency are what the reward measures; a node's edge pair is a categorical of its own, where
 * PC-DARTS factorises edge importance into one β per edge (this row can express any distribution
 * over pairs, β's products only some).
 */
import { DARTS_EDGES, DARTS_OPS, DARTS_STEPS, formatGenotype, type DartsGenotype, type DartsOp, type GeneEntry } from '../../spaces/darts.js';
import type { AnyArch } from '../../spaces/index.js';
import { TsnasError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { CategoricalPolicy } from './policy.js';

/** The ops a DARTS genotype uses: DARTS_OPS without `none` (the op rows' order). */
export const DARTS_REAL_OPS: readonly DartsOp[] = DARTS_OPS.filter((o) => o !== 'none');
const CELLS = ['normal', 'reduce'] as const;
const EDGES = DARTS_EDGES.length;
/** The input pairs [a, b] (a < b) of each node 2..5, in lexicographic order (a pair row's order). */
export const DARTS_INPUT_PAIRS: readonly (readonly (readonly [number, number])[])[] = Array.from({ length: DARTS_STEPS }, (_, n) => {
  const out: [number, number][] = [];
  for (let a = 0; a < n + 2; a++) for (let b = a + 1; b < n + 2; b++) out.push([a, b]);
  return out;
});
/** Row of DARTS_EDGES of the edge into `node` from `from`. */
const edgeIndex = (node: number, from: number): number => ((node - 2) * (node + 1)) / 2 + from;

export class DartsTndPolicy extends CategoricalPolicy {
  /** α rows: op rows (cell c, edge e) at c·14 + e, then pair rows (cell c, node j) at 28 + c·4 + (j − 2). */
  static readonly ROWS = 2 * EDGES + 2 * DARTS_STEPS;

  constructor(rng?: Rng) {
    super([...new Array<number>(2 * EDGES).fill(DARTS_REAL_OPS.length), ...CELLS.flatMap(() => DARTS_INPUT_PAIRS.map((p) => p.length))], rng);
  }

  static opRow(cell: number, edge: number): number {
    return cell * EDGES + edge;
  }

  static pairRow(cell: number, node: number): number {
    return 2 * EDGES + cell * DARTS_STEPS + (node - 2);
  }

  sample(rng: Rng): number[] {
    return this.choose((r) => this.sampleRow(r, rng));
  }

  argmax(): number[] {
    return this.choose((r) => this.argmaxRow(r));
  }

  /** Per op row (both cells, 14 edges each), keep the `keep` active ops with the largest α. */
  shrink(keep: number): [number, number][] {
    return this.shrinkRows(
      Array.from({ length: 2 * EDGES }, (_, r) => r),
      keep,
    );
  }

  label(r: number, k: number): string {
    if (r >= 2 * EDGES) {
      const c = Math.floor((r - 2 * EDGES) / DARTS_STEPS);
      const node = ((r - 2 * EDGES) % DARTS_STEPS) + 2;
      return `${CELLS[c]} node ${node}: inputs ${DARTS_INPUT_PAIRS[node - 2]![k]!.join('+')}`;
    }
    const [to, from] = DARTS_EDGES[r % EDGES]!;
    return `${CELLS[Math.floor(r / EDGES)]} edge ${to}<-${from}: ${DARTS_REAL_OPS[k]}`;
  }

  /** A choice made row by row: each node's pair, then the ops of its two edges. */
  private choose(pick: (row: number) => number): number[] {
    const choice = new Array<number>(DartsTndPolicy.ROWS).fill(-1);
    CELLS.forEach((_, c) => {
      for (let node = 2; node < 2 + DARTS_STEPS; node++) {
        const pr = DartsTndPolicy.pairRow(c, node);
        choice[pr] = pick(pr);
        for (const from of DARTS_INPUT_PAIRS[node - 2]![choice[pr]!]!) {
          const r = DartsTndPolicy.opRow(c, edgeIndex(node, from));
          choice[r] = pick(r);
        }
      }
    });
    return choice;
  }
}

/** The genotype of a DARTS policy choice (entries of a node in input order; concat 2..5). */
export function dartsGenotypeOfChoice(choice: readonly number[]): DartsGenotype {
  const cell = (c: number): GeneEntry[] =>
    DARTS_INPUT_PAIRS.flatMap((pairs, n) => {
      const node = n + 2;
      const pair = pairs[choice[DartsTndPolicy.pairRow(c, node)]!];
      if (!pair) throw new TsnasError(`DARTS policy choice: node ${node} of the ${CELLS[c]} cell has no input pair`);
      return pair.map((from): GeneEntry => {
        const op = DARTS_REAL_OPS[choice[DartsTndPolicy.opRow(c, edgeIndex(node, from))]!];
        if (!op) throw new TsnasError(`DARTS policy choice: edge ${node}<-${from} of the ${CELLS[c]} cell has no op`);
        return [op, from];
      });
    });
  return { normal: cell(0), normalConcat: [2, 3, 4, 5], reduce: cell(1), reduceConcat: [2, 3, 4, 5] };
}

/** The DARTS-space architecture of a policy choice. */
export function dartsArchOfChoice(choice: readonly number[]): AnyArch {
  const arch = dartsGenotypeOfChoice(choice);
  return { space: 'darts', arch, text: formatGenotype(arch) };
}

/** The policy choice of a genotype whose nodes take two distinct inputs and only real ops (the inverse of dartsGenotypeOfChoice). */
export function dartsChoiceOfGenotype(g: DartsGenotype): number[] {
  const choice = new Array<number>(DartsTndPolicy.ROWS).fill(-1);
  CELLS.forEach((k, c) => {
    for (let n = 0; n < DARTS_STEPS; n++) {
      const node = n + 2;
      const entries = [...g[k].slice(2 * n, 2 * n + 2)].sort((x, y) => x[1] - y[1]);
      const p = DARTS_INPUT_PAIRS[n]!.findIndex(([a, b]) => a === entries[0]?.[1] && b === entries[1]?.[1]);
      if (p < 0) throw new TsnasError(`genotype ${k} node ${node} does not take two distinct inputs, which the TND-NAS DARTS policy samples`);
      choice[DartsTndPolicy.pairRow(c, node)] = p;
      for (const [op, from] of entries) {
        const o = DARTS_REAL_OPS.indexOf(op);
        if (o < 0) throw new TsnasError(`genotype ${k} node ${node} has op '${op}', not one the TND-NAS DARTS policy samples`);
        choice[DartsTndPolicy.opRow(c, edgeIndex(node, from))] = o;
      }
    }
  });
  return choice;
}
