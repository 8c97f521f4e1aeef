/**
 * The DARTS cell space as a SearchSpace. Decisions, per cell (normal, reduce) and per node 2..5:
 * input and op of its first entry, input and op of its second (8 nodes × 4 = 32 decisions). The
 * ops are the 7 real ones (a derived genotype has no `none`); the concat lists are not decisions
 * (decode writes [2, 3, 4, 5], the value of every sampled and derived genotype).
 */
import { TsnasError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { DartsNetwork, DARTS_EVAL_CONFIG, dartsParamCount } from '../nn/darts-net.js';
import { DartsSupernet, DARTS_SEARCH_CONFIG } from '../nn/darts-supernet.js';
import { formatGenotype, mutateGenotype, parseGenotype, sampleGenotype, validateGenotype, DARTS_EDGES, DARTS_OPS, DARTS_STEPS, type DartsGenotype, type DartsOp, type GeneEntry } from './darts.js';
import { archOf } from './registry.js';
import type { Arch, Decision, SearchSpace } from './space.js';
import { definedOf } from './util.js';

const REAL_OPS: readonly DartsOp[] = DARTS_OPS.filter((o) => o !== 'none');
const CELLS = ['normal', 'reduce'] as const;

const DECISIONS: readonly Decision[] = CELLS.flatMap((cell) =>
  Array.from({ length: DARTS_STEPS }, (_, n) => {
    const node = n + 2;
    const inputs = Array.from({ length: node }, (_, i) => String(i));
    return [0, 1].flatMap((t) => [
      { label: `${cell}.node${node}.input${t}`, choices: inputs },
      { label: `${cell}.node${node}.op${t}`, choices: REAL_OPS },
    ]);
  }).flat(),
);

/**
 * Each node's pair of (op, input) entries from either parent, per cell: a node's two inputs stay
 * distinct, so the child is a valid genotype (uniform over nodes, not over single decisions).
 */
export function crossoverDartsGenotype(a: DartsGenotype, b: DartsGenotype, rng: Rng): DartsGenotype {
  const cell = (x: readonly GeneEntry[], y: readonly GeneEntry[]): GeneEntry[] => {
    const out: GeneEntry[] = [];
    for (let n = 0; n < x.length; n += 2) {
      const src = rng.next() < 0.5 ? x : y;
      out.push(src[n]!, src[n + 1]!);
    }
    return out;
  };
  return { normal: cell(a.normal, b.normal), normalConcat: a.normalConcat, reduce: cell(a.reduce, b.reduce), reduceConcat: a.reduceConcat };
}

function encodeGenotype(g: DartsGenotype): number[] {
  const out: number[] = [];
  for (const cell of CELLS) {
    for (const [op, input] of g[cell]) {
      const k = REAL_OPS.indexOf(op);
      if (k < 0) throw new TsnasError(`DARTS genotype ${cell} has op '${op}', which is not a decision choice`);
      out.push(input, k);
    }
  }
  return out;
}

function decodeGenotype(codes: readonly number[]): DartsGenotype {
  if (codes.length !== DECISIONS.length) throw new TsnasError(`DARTS code has ${codes.length} decisions, expected ${DECISIONS.length}`);
  codes.forEach((c, i) => {
    const d = DECISIONS[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= d.choices.length) throw new TsnasError(`DARTS decision ${d.label}: index ${c} out of range [0, ${d.choices.length})`);
  });
  const cell = (off: number): GeneEntry[] => {
    const out: GeneEntry[] = [];
    for (let k = 0; k < 2 * DARTS_STEPS; k++) out.push([REAL_OPS[codes[off + 2 * k + 1]!]!, codes[off + 2 * k]!]);
    return out;
  };
  const g: DartsGenotype = { normal: cell(0), normalConcat: [2, 3, 4, 5], reduce: cell(DECISIONS.length / 2), reduceConcat: [2, 3, 4, 5] };
  validateGenotype(g);
  return g;
}

export const dartsSpace: SearchSpace<DartsGenotype> = {
  name: 'darts',
  description: 'DARTS cells (normal and reduction): 4 nodes of two (op, input) entries, 7 ops; has a supernet',
  parse: parseGenotype,
  format: formatGenotype,
  sample: sampleGenotype,
  mutate: mutateGenotype,
  crossover: crossoverDartsGenotype,
  decisions: () => DECISIONS,
  encode: encodeGenotype,
  decode: decodeGenotype,
  buildNetwork: (a, rng, o = {}) => new DartsNetwork(a, rng, { ...DARTS_EVAL_CONFIG, ...definedOf(o, ['C', 'layers', 'numClasses', 'inputShape', 'auxiliary']) }),
  paramCount: (a, o = {}) => dartsParamCount(a, { ...DARTS_EVAL_CONFIG, ...definedOf(o, ['C', 'layers', 'numClasses', 'inputShape', 'auxiliary']) }),
  netOptions: ['C', 'layers', 'auxiliary', 'dropPath'],
  trainRecipe: { lr: 0.025, nesterov: false, momentum: 0.9, weightDecay: 3e-4, batch: 96, gradClip: 5, cutout: 16, dropPath: 0.2, auxWeight: 0.4 },
  supernet: {
    ops: DARTS_OPS,
    edges: DARTS_EDGES.map(([to, from]) => `${to}<-${from}`),
    cells: CELLS,
    build: (rng, o = {}) => new DartsSupernet(rng, { ...DARTS_SEARCH_CONFIG, ...definedOf(o, ['C', 'layers', 'numClasses', 'inputShape', 'partialChannels']) }),
  },
};

/** The genotype of a DARTS-space architecture; a clear error when it is from another space. */
export function asDarts(a: Arch): DartsGenotype {
  return archOf<DartsGenotype>(a, 'darts');
}
