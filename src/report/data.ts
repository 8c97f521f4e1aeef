/**
 * What a report shows, gathered from the experiment store (and, for runs whose data is not in
 * the store, from the files in the run's output directory):
 *
 * - correlation: trials with proxy `scores` and the target accuracy in `objectives`
 *   (`tsnas correlate`, one trial per architecture);
 * - differentiable search: metrics scope `search`, one row per epoch (softmax(α) per cell with
 *   its edge and op names, genotype, accuracies, collapse counts); else `<out>/search.json`;
 * - multi-objective search: the result's `objectives` and `pareto`, one trial per evaluated
 *   architecture (`objectives`, `scores.violation`), the true front in metrics scope
 *   `pareto-true` (or computed from an NB201 table given to the report);
 * - training curves: metrics scope `train` (one row per epoch, the trainer's record); else
 *   `<out>/curves.json`;
 * - DTB curves: metrics scopes `dtb:<index>` (values: the epoch record plus `arch`); else a DTB
 *   build directory `<out>` (dtb.json and runs/NNNN/curves.json).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord, Store, TrialRecord } from '../store/store.js';
import type { Nb201Table } from '../benchmarks/nb201-table.js';
import { trueParetoFront, type Direction } from '../objectives/pareto.js';
import { parseObjectiveTerm } from '../objectives/spec.js';
import { NB201_EDGES, NB201_OPS } from '../spaces/nb201.js';

export interface CorrelationData {
  target: string;
  proxies: string[];
  points: { arch: string; target: number | null; scores: Record<string, number | null> }[];
}

export interface SearchEpoch {
  epoch: number;
  /** softmax(α) [cell][edge][op]. */
  alpha: number[][][];
  genotype?: string;
  trainAcc?: number;
  valAcc?: number;
  trainLoss?: number;
  valLoss?: number;
  skipCount?: number;
  paramFreeCount?: number;
  bench?: Record<string, number>;
}

export interface SearchData {
  space: string;
  strategy: string;
  ops: string[];
  /** Edge names per cell. */
  edges: string[][];
  cells: string[];
  epochs: SearchEpoch[];
}

export interface MooData {
  strategy: string;
  space: string;
  objectives: { key: string; direction: Direction }[];
  evaluated: { idx: number; arch: string; objectives: Record<string, number | null>; feasible: boolean }[];
  front: { arch: string; objectives: Record<string, number>; feasible: boolean }[];
  truth?: { x: string; y: string; points: [number, number][] };
}

export type CurveRow = Record<string, number>;

export interface DtbData {
  archs: { index: number; arch: string; epochs: CurveRow[] }[];
}

export interface ReportData {
  run: RunRecord;
  correlation?: CorrelationData;
  search?: SearchData;
  moo?: MooData;
  train?: CurveRow[];
  dtb?: DtbData;
  /** Where data came from files rather than the store, for the page's notes. */
  notes: string[];
}

// the report is drawn from stored values: op and edge names are only labels here
const NB201_OP_LABELS: readonly string[] = NB201_OPS;
const NB201_EDGE_LABELS = NB201_EDGES.map(([to, from]) => `node ${to} ← ${from}`);

function obj(x: unknown): Record<string, unknown> | undefined {
  return x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function outDirOf(run: RunRecord): string | undefined {
  return run.outDir && existsSync(run.outDir) ? run.outDir : undefined;
}

function correlationData(run: RunRecord, trials: TrialRecord[]): CorrelationData | undefined {
  const withScores = trials.filter((t) => Object.keys(t.scores).some((k) => k !== 'violation'));
  if (withScores.length < 2) return undefined;
  const result = obj(run.result);
  const target = typeof result?.['target'] === 'string' ? (result['target'] as string) : Object.keys(withScores[0]!.objectives)[0];
  if (!target) return undefined;
  const proxies = [...new Set(withScores.flatMap((t) => Object.keys(t.scores)))];
  return {
    target,
    proxies,
    points: withScores.map((t) => ({ arch: t.arch, target: t.objectives[target] ?? null, scores: t.scores })),
  };
}

function toEpoch(v: Record<string, unknown>): SearchEpoch | undefined {
  if (typeof v['epoch'] !== 'number' || !Array.isArray(v['alpha'])) return undefined;
  const num = (k: string) => (typeof v[k] === 'number' ? (v[k] as number) : undefined);
  return {
    epoch: v['epoch'] as number,
    alpha: v['alpha'] as number[][][],
    genotype: typeof v['genotype'] === 'string' ? (v['genotype'] as string) : undefined,
    trainAcc: num('trainAcc'),
    valAcc: num('valAcc'),
    trainLoss: num('trainLoss'),
    valLoss: num('valLoss'),
    skipCount: num('skipCount'),
    paramFreeCount: num('paramFreeCount'),
    bench: obj(v['bench']) as Record<string, number> | undefined,
  };
}

function searchData(store: Store, run: RunRecord, notes: string[]): SearchData | undefined {
  const rows = store.metrics(run.id, 'search');
  const result = obj(run.result) ?? {};
  let values: Record<string, unknown>[] = rows.map((r) => ({ ...r.values, epoch: r.epoch }));
  if (values.length === 0) {
    const dir = outDirOf(run);
    const file = dir && join(dir, 'search.json');
    const doc = file && existsSync(file) ? obj(readJson(file)) : undefined;
    if (!doc || !Array.isArray(doc['history'])) return undefined;
    values = (doc['history'] as Record<string, unknown>[]).map((h) => ({ ...h, space: doc['space'], strategy: doc['strategy'] }));
    notes.push(`differentiable search epochs read from ${file}`);
  }
  const epochs = values
    .map(toEpoch)
    .filter((e): e is SearchEpoch => e !== undefined)
    .sort((a, b) => a.epoch - b.epoch);
  if (epochs.length === 0) return undefined;
  const first = values[0]! as Record<string, unknown>;
  const space = String(first['space'] ?? result['space'] ?? 'nb201');
  const nCells = epochs[0]!.alpha.length;
  const nEdges = epochs[0]!.alpha[0]?.length ?? 0;
  const nOps = epochs[0]!.alpha[0]?.[0]?.length ?? 0;
  const ops = Array.isArray(first['ops'])
    ? (first['ops'] as string[])
    : space === 'nb201' && nOps === NB201_OP_LABELS.length
      ? [...NB201_OP_LABELS]
      : Array.from({ length: nOps }, (_, i) => `op ${i}`);
  const edges = Array.isArray(first['edges'])
    ? (first['edges'] as string[][])
    : Array.from({ length: nCells }, () => (space === 'nb201' && nEdges === 6 ? NB201_EDGE_LABELS : Array.from({ length: nEdges }, (_, i) => `edge ${i}`)));
  const cells = Array.isArray(first['cells']) ? (first['cells'] as string[]) : nCells === 2 ? ['normal', 'reduce'] : Array.from({ length: nCells }, (_, i) => (nCells === 1 ? 'cell' : `cell ${i}`));
  return { space, strategy: String(first['strategy'] ?? result['strategy'] ?? run.command), ops, edges, cells, epochs };
}

function mooData(store: Store, run: RunRecord, trials: TrialRecord[], table?: Nb201Table): MooData | undefined {
  const result = obj(run.result);
  if (!result || !Array.isArray(result['pareto']) || !Array.isArray(result['objectives'])) return undefined;
  const objectives = (result['objectives'] as { key: string; direction: Direction }[]).map((o) => ({ key: o.key, direction: o.direction }));
  const front = (result['pareto'] as { arch: string; objectives: Record<string, number>; feasible?: boolean }[]).map((p) => ({
    arch: p.arch,
    objectives: p.objectives,
    feasible: p.feasible !== false,
  }));
  const evaluated = trials.map((t) => ({ idx: t.idx, arch: t.arch, objectives: t.objectives, feasible: !(typeof t.scores['violation'] === 'number' && t.scores['violation'] > 0) }));
  let truth: MooData['truth'];
  const stored = store.metrics(run.id, 'pareto-true')[0]?.values;
  if (stored && Array.isArray(stored['points'])) truth = { x: String(stored['x']), y: String(stored['y']), points: stored['points'] as [number, number][] };
  else if (table && objectives.length >= 2 && result['space'] === table.space) truth = tableTruth(table, objectives[0]!.key, objectives[1]!.key);
  return { strategy: String(result['strategy'] ?? run.command), space: String(result['space'] ?? ''), objectives, evaluated, front, ...(truth ? { truth } : {}) };
}

/** The NB201 front of two objective keys (y first, as in search results), when both are table columns. */
export function tableTruth(table: Nb201Table, yKey: string, xKey: string): MooData['truth'] {
  try {
    const [a, b] = [parseObjectiveTerm(yKey), parseObjectiveTerm(xKey)];
    if (a.source !== 'table' || b.source !== 'table') return undefined;
    const [ca, cb] = [table.resolveColumn(a.arg!), table.resolveColumn(b.arg!)];
    const rows = trueParetoFront(table, [
      { column: a.arg!, direction: a.direction },
      { column: b.arg!, direction: b.direction },
    ]);
    return { x: xKey, y: yKey, points: rows.map((r) => [r.values[cb]!, r.values[ca]!]) };
  } catch {
    return undefined;
  }
}

function curveRows(x: unknown): CurveRow[] | undefined {
  if (!Array.isArray(x)) return undefined;
  const rows = x.filter((r) => obj(r) && typeof (r as CurveRow)['epoch'] === 'number') as CurveRow[];
  return rows.length ? rows : undefined;
}

function trainData(store: Store, run: RunRecord, notes: string[]): CurveRow[] | undefined {
  const rows = store.metrics(run.id, 'train');
  if (rows.length) return rows.map((r) => ({ ...(r.values as CurveRow), epoch: r.epoch }));
  const dir = outDirOf(run);
  if (!dir || run.command === 'dtb') return undefined;
  const file = join(dir, 'curves.json');
  const curves = existsSync(file) ? curveRows(readJson(file)) : undefined;
  if (curves) notes.push(`training curves read from ${file}`);
  return curves;
}

function dtbData(store: Store, run: RunRecord, notes: string[]): DtbData | undefined {
  const byArch = new Map<number, { index: number; arch: string; epochs: CurveRow[] }>();
  for (const r of store.metrics(run.id)) {
    const m = /^dtb:(\d+)$/.exec(r.scope);
    if (!m) continue;
    const index = Number(m[1]);
    const a = byArch.get(index) ?? { index, arch: String(r.values['arch'] ?? `#${index}`), epochs: [] };
    const { arch: _a, ...vals } = r.values;
    a.epochs.push({ ...(vals as CurveRow), epoch: r.epoch });
    byArch.set(index, a);
  }
  if (byArch.size) return { archs: [...byArch.values()].sort((a, b) => a.index - b.index) };
  const dir = outDirOf(run);
  const manifest = dir ? obj(readJson(join(dir, 'dtb.json'))) : undefined;
  if (!dir || !manifest || !Array.isArray(manifest['archs'])) return undefined;
  const archNames = manifest['archs'] as string[];
  const runsDir = join(dir, 'runs');
  const archs: DtbData['archs'] = [];
  for (const name of existsSync(runsDir) ? readdirSync(runsDir).sort() : []) {
    if (!/^\d+$/.test(name)) continue;
    const curves = curveRows(readJson(join(runsDir, name, 'curves.json')));
    const index = Number(name);
    if (curves) archs.push({ index, arch: archNames[index] ?? `#${index}`, epochs: curves });
  }
  if (archs.length === 0) return undefined;
  notes.push(`DTB curves read from ${runsDir}`);
  return { archs };
}

/** Everything the report of one run can show; kinds without data are left undefined. */
export function gatherReportData(store: Store, runId: string, o: { table?: Nb201Table; storeOnly?: boolean } = {}): ReportData {
  const run = store.requireRun(runId);
  const trials = store.trials(runId);
  const notes: string[] = [];
  const moo = mooData(store, run, trials, o.table);
  // storeOnly: never read the run's output directory (the dashboard reads nothing but the store).
  const fileRun = o.storeOnly ? { ...run, outDir: null } : run;
  return {
    run,
    correlation: moo ? undefined : correlationData(run, trials),
    search: searchData(store, fileRun, notes),
    moo,
    train: trainData(store, fileRun, notes),
    dtb: dtbData(store, fileRun, notes),
    notes,
  };
}
