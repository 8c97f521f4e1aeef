/** The NAS-Bench-201 cell space as a SearchSpace: 6 edges × 5 ops, one decision per edge. */
import { TsnasError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { Nb201Network, NB201_EVAL_CONFIG } from '../nn/nb201-net.js';
import { Nb201Supernet } from '../nn/nb201-supernet.js';
import { enumerateNb201, formatNb201, mutateNb201, parseNb201, sampleNb201, NB201_EDGES, NB201_OPS, NB201_SIZE, type Nb201Arch } from './nb201.js';
import { archOf } from './registry.js';
import type { Arch, Decision, EvalNetOverrides, SearchSpace } from './space.js';
import { definedOf } from './util.js';

const EDGE_LABELS = NB201_EDGES.map(([to, from]) => `${to}<-${from}`);
const DECISIONS: readonly Decision[] = EDGE_LABELS.map((label) => ({ label, choices: NB201_OPS }));

/** Each edge's op from either parent with probability 1/2. */
export function crossoverNb201Arch(a: Nb201Arch, b: Nb201Arch, rng: Rng): Nb201Arch {
  return { ops: a.ops.map((op, e) => (rng.next() < 0.5 ? op : b.ops[e]!)) };
}

export const nb201Space: SearchSpace<Nb201Arch> = {
  name: 'nb201',
  description: 'NAS-Bench-201 cell: 4 nodes, 6 edges, 5 ops (15,625 cells); has the NB201 table and a supernet',
  parse: parseNb201,
  format: formatNb201,
  sample: sampleNb201,
  mutate: mutateNb201,
  crossover: crossoverNb201Arch,
  decisions: () => DECISIONS,
  encode: (a) => a.ops.map((op) => NB201_OPS.indexOf(op)),
  decode(codes) {
    if (codes.length !== DECISIONS.length) throw new TsnasError(`NB201 code has ${codes.length} decisions, expected ${DECISIONS.length}`);
    return {
      ops: codes.map((c, e) => {
        const op = NB201_OPS[c];
        if (!Number.isInteger(c) || op === undefined) throw new TsnasError(`NB201 decision ${EDGE_LABELS[e]}: index ${c} out of range [0, ${NB201_OPS.length})`);
        return op;
      }),
    };
  },
  buildNetwork: (a, rng, o: EvalNetOverrides = {}) => new Nb201Network(a, rng, { ...NB201_EVAL_CONFIG, ...definedOf(o, ['C', 'N', 'numClasses', 'inputShape']) }),
  netOptions: ['C', 'N'],
  trainRecipe: { lr: 0.1, nesterov: true, momentum: 0.9, weightDecay: 5e-4, batch: 256, gradClip: 0, cutout: 0, dropPath: 0, auxWeight: 0 },
  supernet: {
    ops: NB201_OPS,
    edges: EDGE_LABELS,
    cells: ['cell'],
    build: (rng, o = {}) => new Nb201Supernet(rng, { ...NB201_EVAL_CONFIG, ...definedOf(o, ['C', 'N', 'numClasses', 'inputShape']) }, NB201_OPS, { partialChannels: o.partialChannels }),
  },
  enumerate: enumerateNb201,
  size: NB201_SIZE,
};

/** The NB201 cell of an architecture; a clear error when it is from another space. */
export function asNb201(a: Arch): Nb201Arch {
  return archOf<Nb201Arch>(a, 'nb201');
}
