/**
 * The NAS-Bench-101 cell space as a SearchSpace. Decisions: the 21 entries above the diagonal of
 * the 7-vertex matrix (`edge r->c`, choices 0/1, row by row), then the ops of vertices 1..5. A cell
 * with fewer vertices (pruned) is encoded padded: its vertices in order, isolated vertices (op
 * conv3x3-bn-relu) up to 7, the output last; decode prunes, so decode(encode(a)) is a. Not every
 * code vector is a valid cell: decode refuses those, naming the rule broken.
 */
import { TsnasError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { Nb101Network, NB101_EVAL_CONFIG } from '../nn/nb101-net.js';
import { formatNb101, isValidNb101, makeNb101Cell, mutateNb101, padNb101, parseNb101, sampleNb101, NB101_MAX_VERTICES, NB101_OPS, type Nb101Arch, type Nb101VertexOp } from './nb101.js';
import { archOf } from './registry.js';
import type { Arch, Decision, EvalNetOverrides, SearchSpace } from './space.js';
import { definedOf } from './util.js';

const N = NB101_MAX_VERTICES;
const EDGES: readonly (readonly [number, number])[] = Array.from({ length: N }, (_, r) => Array.from({ length: N - r - 1 }, (_, k) => [r, r + k + 1] as const)).flat();
const DECISIONS: readonly Decision[] = [
  ...EDGES.map(([r, c]) => ({ label: `edge ${r}->${c}`, choices: ['0', '1'] })),
  ...Array.from({ length: N - 2 }, (_, i) => ({ label: `op ${i + 1}`, choices: NB101_OPS })),
];

export function encodeNb101(a: Nb101Arch): number[] {
  const { matrix, ops } = padNb101(a, () => NB101_OPS[0]);
  return [...EDGES.map(([r, c]) => matrix[r]![c]!), ...ops.slice(1, -1).map((op) => NB101_OPS.indexOf(op as (typeof NB101_OPS)[number]))];
}

function codesToCell(codes: readonly number[]): { matrix: number[][]; ops: Nb101VertexOp[] } {
  const matrix = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  EDGES.forEach(([r, c], k) => (matrix[r]![c] = codes[k]!));
  return { matrix, ops: ['input', ...codes.slice(EDGES.length).map((c) => NB101_OPS[c]!), 'output'] };
}

export function decodeNb101(codes: readonly number[]): Nb101Arch {
  if (codes.length !== DECISIONS.length) throw new TsnasError(`NB101 code has ${codes.length} decisions, expected ${DECISIONS.length}`);
  codes.forEach((c, i) => {
    const d = DECISIONS[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= d.choices.length) throw new TsnasError(`NB101 decision ${d.label}: index ${c} out of range [0, ${d.choices.length})`);
  });
  const { matrix, ops } = codesToCell(codes);
  return makeNb101Cell(matrix, ops);
}

/**
 * Uniform crossover on the 7-vertex codes (each matrix bit and op from either parent with
 * probability 1/2), redrawn until the child is a valid cell; after 100 invalid draws, a copy of
 * a parent picked at random.
 */
export function crossoverNb101Arch(a: Nb101Arch, b: Nb101Arch, rng: Rng): Nb101Arch {
  const ca = encodeNb101(a);
  const cb = encodeNb101(b);
  for (let t = 0; t < 100; t++) {
    const { matrix, ops } = codesToCell(ca.map((c, i) => (rng.next() < 0.5 ? c : cb[i]!)));
    if (isValidNb101(matrix, ops)) return makeNb101Cell(matrix, ops);
  }
  return rng.next() < 0.5 ? a : b;
}

export const nb101Space: SearchSpace<Nb101Arch> = {
  name: 'nb101',
  description: 'NAS-Bench-101 cell: up to 7 vertices, 9 edges, 3 ops (about 423k unique cells); JSON {matrix, ops} or BITS|OP,...',
  parse: parseNb101,
  format: formatNb101,
  sample: sampleNb101,
  mutate: mutateNb101,
  crossover: crossoverNb101Arch,
  decisions: () => DECISIONS,
  encode: encodeNb101,
  decode: decodeNb101,
  buildNetwork(a, rng, o: EvalNetOverrides = {}) {
    // C: stem channels; N: cells per stack (NB201's N, cells per stage)
    const { N: cellsPerStack, ...rest } = definedOf(o, ['C', 'N', 'numClasses', 'inputShape']);
    return new Nb101Network(a, rng, { ...NB101_EVAL_CONFIG, ...rest, ...(cellsPerStack !== undefined ? { cellsPerStack } : {}) });
  },
  netOptions: ['C', 'N'],
  // NB101's training: RMSProp, lr 0.2 cosine, batch 256, weight decay 1e-4; tsnas trains with SGD
  trainRecipe: { lr: 0.1, nesterov: true, momentum: 0.9, weightDecay: 1e-4, batch: 256, gradClip: 0, cutout: 0, dropPath: 0, auxWeight: 0 },
};

/** The NB101 cell of an architecture; a clear error when it is from another space. */
export function asNb101(a: Arch): Nb101Arch {
  return archOf<Nb101Arch>(a, 'nb101');
}
