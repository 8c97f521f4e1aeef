/**
 * The NAS-Bench-201 cell space: 4 nodes, 6 edges, 5 ops, 5^6 = 15,625 cells. Strings are written
 * exactly as NAS-Bench-201 writes them: `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` (node 1 ← 0;
 * node 2 ← 0, 1; node 3 ← 0, 1, 2).
 */
import { TsnasError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
export type Nb201Op = (typeof NB201_OPS)[number];
export const NB201_NODES = 4;
/** Edges in string order: [to, from]. */
export const NB201_EDGES: readonly (readonly [number, number])[] = [
  [1, 0],
  [2, 0],
  [2, 1],
  [3, 0],
  [3, 1],
  [3, 2],
];
export const NB201_SIZE = NB201_OPS.length ** NB201_EDGES.length;

/** An NB201 cell: one op per edge, in NB201_EDGES order. */
export interface Nb201Arch {
  readonly ops: readonly Nb201Op[];
}

export function isNb201Op(s: string): s is Nb201Op {
  return (NB201_OPS as readonly string[]).includes(s);
}

/** Parse and validate an arch string; errors name the character position of the problem. */
export function parseNb201(text: string): Nb201Arch {
  const s = text.trim();
  if (s.length === 0) throw new TsnasError('malformed NB201 arch string: empty');
  const nodes = s.split('+');
  if (nodes.length !== NB201_NODES - 1) {
    throw new TsnasError(`malformed NB201 arch string '${s}': expected ${NB201_NODES - 1} nodes separated by '+', found ${nodes.length}`);
  }
  const ops: Nb201Op[] = [];
  let pos = 0;
  nodes.forEach((node, n) => {
    const to = n + 1;
    if (!node.startsWith('|') || !node.endsWith('|') || node.length < 2) {
      throw new TsnasError(`malformed NB201 arch string '${s}' at position ${pos}: node ${to} must look like |op~i|...|`);
    }
    const parts = node.slice(1, -1).split('|');
    if (parts.length !== to) {
      throw new TsnasError(`malformed NB201 arch string '${s}' at position ${pos}: node ${to} needs ${to} inputs, found ${parts.length}`);
    }
    let off = pos + 1;
    parts.forEach((part, from) => {
      const m = /^([a-z0-9_]+)~(\d+)$/.exec(part);
      if (!m) throw new TsnasError(`malformed NB201 arch string '${s}' at position ${off}: '${part}' is not op~input`);
      const [, op, idx] = m as unknown as [string, string, string];
      if (!isNb201Op(op)) {
        throw new TsnasError(`unknown NB201 op '${op}' at position ${off} of '${s}' (known: ${NB201_OPS.join(', ')})`);
      }
      if (Number(idx) !== from) {
        throw new TsnasError(`malformed NB201 arch string '${s}' at position ${off}: node ${to} input ${from} is written as ~${idx}`);
      }
      ops.push(op);
      off += part.length + 1;
    });
    pos += node.length + 1;
  });
  return { ops };
}

export function formatNb201(arch: Nb201Arch): string {
  let k = 0;
  const nodes: string[] = [];
  for (let to = 1; to < NB201_NODES; to++) {
    const parts: string[] = [];
    for (let from = 0; from < to; from++) parts.push(`${arch.ops[k++]}~${from}`);
    nodes.push(`|${parts.join('|')}|`);
  }
  return nodes.join('+');
}

/** Canonical string of any accepted spelling (whitespace trimmed, validated). */
export function canonicalNb201(text: string): string {
  return formatNb201(parseNb201(text));
}

/** Base-5 code in edge order (edge 0 most significant). Not the NB201 table's index. */
export function nb201Code(arch: Nb201Arch): number {
  return arch.ops.reduce((acc, op) => acc * NB201_OPS.length + NB201_OPS.indexOf(op), 0);
}

export function nb201FromCode(code: number): Nb201Arch {
  if (!Number.isInteger(code) || code < 0 || code >= NB201_SIZE) {
    throw new TsnasError(`NB201 code ${code} out of range [0, ${NB201_SIZE})`);
  }
  const ops: Nb201Op[] = new Array(NB201_EDGES.length);
  for (let e = NB201_EDGES.length - 1; e >= 0; e--) {
    ops[e] = NB201_OPS[code % NB201_OPS.length]!;
    code = Math.floor(code / NB201_OPS.length);
  }
  return { ops };
}

export function* enumerateNb201(): Generator<Nb201Arch> {
  for (let c = 0; c < NB201_SIZE; c++) yield nb201FromCode(c);
}

export function sampleNb201(rng: Rng): Nb201Arch {
  return { ops: NB201_EDGES.map(() => rng.pick(NB201_OPS)) };
}

/** Change one edge to a different op. */
export function mutateNb201(arch: Nb201Arch, rng: Rng): Nb201Arch {
  const ops = [...arch.ops];
  const e = rng.int(ops.length);
  const others = NB201_OPS.filter((o) => o !== ops[e]);
  ops[e] = rng.pick(others);
  return { ops };
}
