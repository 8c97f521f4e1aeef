/**
 * The DARTS cell space (Liu et al. 2019): two cell inputs, 4 intermediate nodes, each taking
 * two (op, input) pairs; normal and reduction cells. Genotypes read and write the DARTS text form
 * `Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])`.
 */
import { TsnasError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** PRIMITIVES order of the DARTS code; α columns follow it. */
export const DARTS_OPS = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'] as const;
export type DartsOp = (typeof DARTS_OPS)[number];
export const DARTS_STEPS = 4;
/** Edges of a supernet cell in α row order: node j (2..5) takes inputs 0..j-1. 14 edges. */
export const DARTS_EDGES: readonly (readonly [number, number])[] = (() => {
  const out: [number, number][] = [];
  for (let j = 2; j < 2 + DARTS_STEPS; j++) for (let i = 0; i < j; i++) out.push([j, i]);
  return out;
})();

export type GeneEntry = readonly [DartsOp, number];
export interface DartsGenotype {
  readonly normal: readonly GeneEntry[];
  readonly normalConcat: readonly number[];
  readonly reduce: readonly GeneEntry[];
  readonly reduceConcat: readonly number[];
}

export function isDartsOp(s: string): s is DartsOp {
  return (DARTS_OPS as readonly string[]).includes(s);
}

function parseList(s: string, at: number, what: string): [string, number][] {
  const out: [string, number][] = [];
  const re = /\(\s*'([^']*)'\s*,\s*(-?\d+)\s*\)\s*(,|$)/y;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new TsnasError(`malformed genotype at position ${at + i}: expected ('op', input) in ${what}`);
    out.push([m[1]!, Number(m[2])]);
    i = re.lastIndex;
    while (s[i] === ' ') i++;
  }
  return out;
}

function parseConcat(s: string, at: number, what: string): number[] {
  const t = s.trim();
  const r = /^range\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(t);
  if (r) {
    const out: number[] = [];
    for (let k = Number(r[1]); k < Number(r[2]); k++) out.push(k);
    return out;
  }
  const l = /^\[([\d,\s]*)\]$/.exec(t);
  if (!l) throw new TsnasError(`malformed genotype at position ${at}: ${what} must be [..] or range(a, b)`);
  return l[1]!
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(Number);
}

/** Parse the DARTS `Genotype(...)` text; errors name the character position. */
export function parseGenotype(text: string): DartsGenotype {
  const s = text.trim();
  const head = /^Genotype\s*\(/.exec(s);
  if (!head || !s.endsWith(')')) throw new TsnasError(`malformed genotype: expected Genotype(normal=[...], ...), got '${s.slice(0, 40)}'`);
  const body = s.slice(head[0].length, -1);
  const base = head[0].length;
  const fields: Record<string, { text: string; at: number }> = {};
  const re = /\s*(normal_concat|reduce_concat|normal|reduce)\s*=\s*/y;
  let i = 0;
  while (i < body.length) {
    re.lastIndex = i;
    const m = re.exec(body);
    if (!m) throw new TsnasError(`malformed genotype at position ${base + i}: expected normal=, normal_concat=, reduce= or reduce_concat=`);
    const name = m[1]!;
    let j = re.lastIndex;
    const start = j;
    let depth = 0;
    for (; j < body.length; j++) {
      const c = body[j];
      if (c === '[' || c === '(') depth++;
      else if (c === ']' || c === ')') depth--;
      else if (c === ',' && depth === 0) break;
    }
    if (depth !== 0) throw new TsnasError(`malformed genotype at position ${base + start}: unbalanced brackets in ${name}`);
    fields[name] = { text: body.slice(start, j).trim(), at: base + start };
    i = j + 1;
  }
  for (const k of ['normal', 'reduce']) if (!fields[k]) throw new TsnasError(`malformed genotype: missing ${k}=`);
  const cell = (k: 'normal' | 'reduce'): GeneEntry[] => {
    const f = fields[k]!;
    if (!f.text.startsWith('[') || !f.text.endsWith(']')) throw new TsnasError(`malformed genotype at position ${f.at}: ${k} must be a [...] list`);
    const list = parseList(f.text.slice(1, -1).trim(), f.at + 1, k);
    return list.map(([op, idx], n) => {
      if (!isDartsOp(op)) throw new TsnasError(`unknown DARTS op '${op}' in ${k}[${n}] (known: ${DARTS_OPS.join(', ')})`);
      return [op, idx] as const;
    });
  };
  const concat = (k: string) => (fields[k] ? parseConcat(fields[k]!.text, fields[k]!.at, k) : [2, 3, 4, 5]);
  const g: DartsGenotype = {
    normal: cell('normal'),
    normalConcat: concat('normal_concat'),
    reduce: cell('reduce'),
    reduceConcat: concat('reduce_concat'),
  };
  validateGenotype(g);
  return g;
}

/** Two entries per node, inputs from earlier nodes, no `none`; concat nodes in range. */
export function validateGenotype(g: DartsGenotype): void {
  for (const k of ['normal', 'reduce'] as const) {
    const cell = g[k];
    if (cell.length !== 2 * DARTS_STEPS) throw new TsnasError(`invalid genotype: ${k} has ${cell.length} entries, expected ${2 * DARTS_STEPS}`);
    cell.forEach(([op, idx], n) => {
      const node = 2 + Math.floor(n / 2);
      if (!isDartsOp(op)) throw new TsnasError(`unknown DARTS op '${op}' in ${k}[${n}]`);
      if (op === 'none') throw new TsnasError(`invalid genotype: ${k}[${n}] is 'none' (a derived cell keeps only real ops)`);
      if (!Number.isInteger(idx) || idx < 0 || idx >= node) {
        throw new TsnasError(`invalid genotype: ${k}[${n}] takes input ${idx}, node ${node} can take 0..${node - 1}`);
      }
    });
    const concat = k === 'normal' ? g.normalConcat : g.reduceConcat;
    for (const c of concat) {
      if (!Number.isInteger(c) || c < 2 || c >= 2 + DARTS_STEPS) throw new TsnasError(`invalid genotype: ${k}_concat has node ${c}, expected 2..${1 + DARTS_STEPS}`);
    }
  }
}

export function formatGenotype(g: DartsGenotype): string {
  const cell = (c: readonly GeneEntry[]) => `[${c.map(([op, i]) => `('${op}', ${i})`).join(', ')}]`;
  return `Genotype(normal=${cell(g.normal)}, normal_concat=[${g.normalConcat.join(', ')}], reduce=${cell(g.reduce)}, reduce_concat=[${g.reduceConcat.join(', ')}])`;
}

const REAL_OPS = DARTS_OPS.filter((o) => o !== 'none');

function sampleCell(rng: Rng): GeneEntry[] {
  const out: GeneEntry[] = [];
  for (let n = 0; n < DARTS_STEPS; n++) {
    const [a, b] = rng.sample(n + 2, 2) as [number, number];
    for (const i of [a, b].sort((x, y) => x - y)) out.push([rng.pick(REAL_OPS), i]);
  }
  return out;
}

/** Uniform over ops, two distinct inputs per node (as random-search baselines of the DARTS paper). */
export function sampleGenotype(rng: Rng): DartsGenotype {
  return { normal: sampleCell(rng), normalConcat: [2, 3, 4, 5], reduce: sampleCell(rng), reduceConcat: [2, 3, 4, 5] };
}

/** Change one op, or one input (keeping the node's two inputs distinct), in one of the cells. */
export function mutateGenotype(g: DartsGenotype, rng: Rng): DartsGenotype {
  const which = rng.int(2) === 0 ? 'normal' : 'reduce';
  const cell = [...g[which]].map((e) => [...e] as [DartsOp, number]);
  const n = rng.int(cell.length);
  const node = 2 + Math.floor(n / 2);
  const twin = cell[n % 2 === 0 ? n + 1 : n - 1]!;
  if (rng.int(2) === 0) {
    cell[n]![0] = rng.pick(REAL_OPS.filter((o) => o !== cell[n]![0]));
  } else {
    const choices = [...Array(node).keys()].filter((i) => i !== cell[n]![1] && i !== twin[1]);
    if (choices.length > 0) cell[n]![1] = rng.pick(choices);
    else cell[n]![0] = rng.pick(REAL_OPS.filter((o) => o !== cell[n]![0]));
  }
  return { ...g, [which]: cell };
}
