/**
 * The NAS-Bench-101 cell space (Ying et al. 2019): a DAG of at most 7 vertices given as an
 * upper-triangular adjacency matrix (row = from, column = to) with at most 9 edges, vertex 0 the
 * input, the last vertex the output, each interior vertex one of three ops. Everything here follows
 * NB101's own code (nasbench/lib/model_spec.py, graph_util.py, api.py, the example in
 * nasbench/scripts): the same pruning, the same validity rules, the same isomorphism hash, the same
 * random sampling and mutation.
 *
 * A cell is kept pruned (vertices on no input→output path removed, as ModelSpec does), in the
 * vertex order it was given: NB101's network gives the channel remainder to the first vertices
 * feeding the output, so two isomorphic cells can differ in parameters; the isomorphism class is
 * `nb101Hash`.
 *
 * Text forms (`parseNb101` reads both, `formatNb101` writes the compact one):
 * - JSON: `{"matrix": [[0,1,...],...], "ops": ["input", ..., "output"]}` (NB101's own spelling);
 * - compact: `BITS|OP,OP,...`. BITS are the n(n−1)/2 entries above the diagonal, row by row
 *   (row 0 columns 1..n−1, then row 1 columns 2..n−1, ...), as 0/1 characters; the ops are the
 *   n−2 interior vertices' ops in vertex order (input and output implied). n follows from the op
 *   count. Example, input → conv3x3 → output plus input → output:
 *   `111|conv3x3-bn-relu`.
 */
import { createHash } from 'node:crypto';
import { TsnasError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** NB101's `available_ops`, in the order its hash labels them (config.py). */
export const NB101_OPS = ['conv3x3-bn-relu', 'conv1x1-bn-relu', 'maxpool3x3'] as const;
export type Nb101Op = (typeof NB101_OPS)[number];
export type Nb101VertexOp = Nb101Op | 'input' | 'output';
export const NB101_MAX_VERTICES = 7;
export const NB101_MAX_EDGES = 9;

/** A pruned, valid NB101 cell: n×n 0/1 upper-triangular matrix, n ops (input first, output last). */
export interface Nb101Arch {
  readonly matrix: readonly (readonly number[])[];
  readonly ops: readonly Nb101VertexOp[];
}

export function isNb101Op(s: string): s is Nb101Op {
  return (NB101_OPS as readonly string[]).includes(s);
}

function fail(msg: string): never {
  throw new TsnasError(`invalid NB101 cell: ${msg}`);
}

/**
 * Vertices on some input→output path (ModelSpec._prune: forward DFS from the input, backward from
 * the output, keep the intersection). Undefined when the input does not reach the output.
 */
function keptVertices(m: readonly (readonly number[])[]): number[] | undefined {
  const n = m.length;
  const fromIn = new Set([0]);
  const stack = [0];
  while (stack.length) {
    const t = stack.pop()!;
    for (let v = t + 1; v < n; v++) {
      if (m[t]![v] && !fromIn.has(v)) {
        fromIn.add(v);
        stack.push(v);
      }
    }
  }
  const toOut = new Set([n - 1]);
  stack.push(n - 1);
  while (stack.length) {
    const t = stack.pop()!;
    for (let v = 0; v < t; v++) {
      if (m[v]![t] && !toOut.has(v)) {
        toOut.add(v);
        stack.push(v);
      }
    }
  }
  const kept = [...Array(n).keys()].filter((v) => fromIn.has(v) && toOut.has(v));
  // ModelSpec: fewer than 2 vertices left means the input is not connected to the output
  return kept.length < 2 ? undefined : kept;
}

/**
 * Check a cell as NB101 does (shape, 0/1 entries, upper-triangular, known ops, input/output ends),
 * prune it, and check the pruned cell (input reaches output, at most 9 edges). Errors name the
 * offending entry: `matrix[r][c]`, `ops[i]`, or the edge count.
 */
export function makeNb101Cell(matrix: unknown, ops: unknown): Nb101Arch {
  if (!Array.isArray(matrix)) fail('matrix must be an array of rows');
  const n = matrix.length;
  if (n < 2 || n > NB101_MAX_VERTICES) fail(`matrix has ${n} rows; NB101 cells have 2 to ${NB101_MAX_VERTICES} vertices`);
  const m: number[][] = matrix.map((row: unknown, r) => {
    if (!Array.isArray(row) || row.length !== n) fail(`matrix row ${r} has ${Array.isArray(row) ? row.length : 'no'} entries; the matrix must be ${n}×${n}`);
    return row.map((x: unknown, c) => {
      if (x !== 0 && x !== 1 && x !== true && x !== false) fail(`matrix[${r}][${c}] is ${JSON.stringify(x)}; entries must be 0 or 1`);
      return x === 1 || x === true ? 1 : 0;
    });
  });
  if (!Array.isArray(ops)) fail('ops must be an array of op names');
  if (ops.length !== n) fail(`ops has ${ops.length} entries but the matrix is ${n}×${n}`);
  ops.forEach((op: unknown, i) => {
    const want = i === 0 ? 'input' : i === n - 1 ? 'output' : undefined;
    if (want !== undefined) {
      if (op !== want) fail(`ops[${i}] is ${JSON.stringify(op)}; the ${want} vertex's op must be '${want}'`);
    } else if (typeof op !== 'string' || !isNb101Op(op)) {
      fail(`ops[${i}] ${JSON.stringify(op)} is not an NB101 op (known: ${NB101_OPS.join(', ')})`);
    }
  });
  for (let r = 0; r < n; r++) {
    for (let c = 0; c <= r; c++) {
      if (m[r]![c]) fail(`matrix[${r}][${c}] is 1 on or below the diagonal; NB101 matrices are upper-triangular (row = from, column = to)`);
    }
  }
  const kept = keptVertices(m);
  if (!kept) fail('the input is not connected to the output');
  const pm = kept.map((r) => kept.map((c) => m[r]![c]!));
  const edges = pm.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
  if (edges > NB101_MAX_EDGES) fail(`${edges} edges after pruning; NB101 allows at most ${NB101_MAX_EDGES}`);
  return { matrix: pm, ops: kept.map((v) => ops[v] as Nb101VertexOp) };
}

/** Whether (matrix, ops) is a valid NB101 cell (NB101's `is_valid`). */
export function isValidNb101(matrix: unknown, ops: unknown): boolean {
  try {
    makeNb101Cell(matrix, ops);
    return true;
  } catch (e) {
    if (e instanceof TsnasError) return false;
    throw e;
  }
}

function parseCompact(s: string): Nb101Arch {
  const bar = s.indexOf('|');
  if (bar < 0 || s.indexOf('|', bar + 1) >= 0) throw new TsnasError(`malformed NB101 compact string '${s}': expected BITS|OP,OP,... (one '|')`);
  const bits = s.slice(0, bar).trim();
  const opText = s.slice(bar + 1).trim();
  const interior = opText === '' ? [] : opText.split(',').map((o) => o.trim());
  interior.forEach((op, i) => {
    if (!isNb101Op(op)) throw new TsnasError(`invalid NB101 cell: op ${i} (ops[${i + 1}]) '${op}' is not an NB101 op (known: ${NB101_OPS.join(', ')})`);
  });
  const n = interior.length + 2;
  if (n > NB101_MAX_VERTICES) throw new TsnasError(`invalid NB101 cell: ${interior.length} interior ops; NB101 cells have at most ${NB101_MAX_VERTICES - 2}`);
  const want = (n * (n - 1)) / 2;
  if (bits.length !== want) {
    throw new TsnasError(`malformed NB101 compact string '${s}': ${interior.length} ops make ${n} vertices, which need ${want} matrix bits, found ${bits.length}`);
  }
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let k = 0;
  for (let r = 0; r < n; r++) {
    for (let c = r + 1; c < n; c++, k++) {
      const ch = bits[k];
      if (ch !== '0' && ch !== '1') throw new TsnasError(`malformed NB101 compact string '${s}': bit ${k} (matrix[${r}][${c}]) is '${ch}', not 0 or 1`);
      m[r]![c] = ch === '1' ? 1 : 0;
    }
  }
  return makeNb101Cell(m, ['input', ...interior, 'output']);
}

/** Read a cell from NB101 JSON `{matrix, ops}` or the compact `BITS|OP,...` string; the result is pruned. */
export function parseNb101(text: string): Nb101Arch {
  const s = text.trim();
  if (s.length === 0) throw new TsnasError('malformed NB101 cell: empty');
  if (s.startsWith('{')) {
    let j: unknown;
    try {
      j = JSON.parse(s);
    } catch (e) {
      throw new TsnasError(`malformed NB101 JSON cell: ${(e as Error).message}`);
    }
    const o = j as { matrix?: unknown; ops?: unknown };
    if (o.matrix === undefined || o.ops === undefined) throw new TsnasError('malformed NB101 JSON cell: needs "matrix" and "ops"');
    return makeNb101Cell(o.matrix, o.ops);
  }
  return parseCompact(s);
}

/** The compact string `BITS|OP,...` (see the module comment). */
export function formatNb101(a: Nb101Arch): string {
  const n = a.matrix.length;
  let bits = '';
  for (let r = 0; r < n; r++) for (let c = r + 1; c < n; c++) bits += a.matrix[r]![c] ? '1' : '0';
  return `${bits}|${a.ops.slice(1, -1).join(',')}`;
}

/** NB101's JSON form `{"matrix": ..., "ops": ...}`. */
export function nb101Json(a: Nb101Arch): string {
  return JSON.stringify({ matrix: a.matrix, ops: a.ops });
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/**
 * NB101's graph-isomorphism hash of a (pruned) cell, as `ModelSpec.hash_spec(available_ops)` computes
 * it with graph_util.hash_module: labels (out-degree, in-degree, op index; input −1, output −2)
 * hashed with md5 of their Python `str`, then n rounds of md5(sorted in-neighbour hashes | sorted
 * out-neighbour hashes | own hash), and md5 of the Python `str` of the sorted final hashes. Equal to
 * the `hash` (module key) of NB101's records.
 */
export function nb101Hash(a: Nb101Arch): string {
  const m = a.matrix;
  const n = m.length;
  const label = (v: number): number => (v === 0 ? -1 : v === n - 1 ? -2 : NB101_OPS.indexOf(a.ops[v] as Nb101Op));
  let hashes = [...Array(n).keys()].map((v) => {
    let out = 0;
    let inn = 0;
    for (let w = 0; w < n; w++) {
      out += m[v]![w]!;
      inn += m[w]![v]!;
    }
    return md5(`(${out}, ${inn}, ${label(v)})`);
  });
  for (let it = 0; it < n; it++) {
    hashes = [...Array(n).keys()].map((v) => {
      const ins: string[] = [];
      const outs: string[] = [];
      for (let w = 0; w < n; w++) {
        if (m[w]![v]) ins.push(hashes[w]!);
        if (m[v]![w]) outs.push(hashes[w]!);
      }
      return md5(`${ins.sort().join('')}|${outs.sort().join('')}|${hashes[v]!}`);
    });
  }
  return md5(
    `[${[...hashes]
      .sort()
      .map((h) => `'${h}'`)
      .join(', ')}]`,
  );
}

/** Number of edges of a cell. */
export function nb101Edges(a: Nb101Arch): number {
  return a.matrix.reduce((s, row) => s + row.reduce((x, y) => x + y, 0), 0);
}

/**
 * The cell as a full 7-vertex cell: the pruned vertices in order, then isolated interior vertices
 * (op from `padOp`) up to 7, then the output. Pruning the result gives the cell back.
 */
export function padNb101(a: Nb101Arch, padOp: () => Nb101Op): { matrix: number[][]; ops: Nb101VertexOp[] } {
  const n = a.matrix.length;
  const N = NB101_MAX_VERTICES;
  const at = (v: number): number => (v === n - 1 ? N - 1 : v);
  const matrix = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (a.matrix[r]![c]) matrix[at(r)]![at(c)] = 1;
  const ops: Nb101VertexOp[] = [...a.ops.slice(0, -1)];
  while (ops.length < N - 1) ops.push(padOp());
  ops.push('output');
  return { matrix, ops };
}

/**
 * A random cell as NB101's example `random_spec` draws it: every entry above the diagonal of a 7×7
 * matrix 1 with probability 1/2, every interior op uniform over the three, redrawn until valid
 * (then pruned). Not uniform over cells (nor over isomorphism classes): NB101's own distribution.
 */
export function sampleNb101(rng: Rng): Nb101Arch {
  const N = NB101_MAX_VERTICES;
  for (;;) {
    const matrix = Array.from({ length: N }, () => new Array<number>(N).fill(0));
    for (let r = 0; r < N; r++) for (let c = r + 1; c < N; c++) matrix[r]![c] = rng.next() < 0.5 ? 1 : 0;
    const ops: string[] = ['input', ...Array.from({ length: N - 2 }, () => rng.pick(NB101_OPS)), 'output'];
    if (isValidNb101(matrix, ops)) return makeNb101Cell(matrix, ops);
  }
}

/**
 * A neighbour as NB101's example `mutate_spec` (mutation_rate 1) makes it: on the 7-vertex form
 * (the pruned cell padded with isolated vertices of random ops), each of the 21 entries above the
 * diagonal flips with probability 1/7 and each of the 5 interior ops is redrawn among the other
 * two with probability 1/5, redrawn until valid. One change from NB101: the draw is also repeated
 * until the pruned child differs from the parent (NB101 keeps no unpruned matrix here, and a
 * search step that returns its parent is wasted).
 */
export function mutateNb101(a: Nb101Arch, rng: Rng): Nb101Arch {
  const N = NB101_MAX_VERTICES;
  const parent = formatNb101(a);
  for (;;) {
    const { matrix, ops } = padNb101(a, () => rng.pick(NB101_OPS));
    for (let r = 0; r < N - 1; r++) for (let c = r + 1; c < N; c++) if (rng.next() < 1 / N) matrix[r]![c] = 1 - matrix[r]![c]!;
    for (let v = 1; v < N - 1; v++) {
      if (rng.next() < 1 / (N - 2)) ops[v] = rng.pick(NB101_OPS.filter((o) => o !== ops[v]));
    }
    if (!isValidNb101(matrix, ops)) continue;
    const child = makeNb101Cell(matrix, ops);
    if (formatNb101(child) !== parent) return child;
  }
}
