/**
 * The dashboard's charts of one run: every chart of `tsnas report` (the same Vega-Lite specs),
 * plus the history of the best value, a live Pareto front for runs still searching (the report
 * draws the front from the finished result), and parallel coordinates of the space's decisions.
 */
import type Database from 'better-sqlite3';
import { Store } from '../store/store.js';
import { buildCharts, gatherReportData, type Chart } from '../report/index.js';
import { paretoCharts } from '../report/charts.js';
import { tableTruth, type MooData } from '../report/data.js';
import type { Nb201Table } from '../benchmarks/nb201-table.js';
import { paretoFrontIndices, type Direction } from '../objectives/pareto.js';
import { parseObjectives } from '../objectives/spec.js';
import type { DashboardQueries } from './queries.js';

/** A chart plus what the page needs to draw it: `canvas` for charts with many marks. */
export interface DashboardChart extends Omit<Chart, 'kind'> {
  kind: Chart['kind'] | 'best-history' | 'parallel';
  renderer: 'svg' | 'canvas';
}

type Spec = Record<string, unknown>;
const CONFIG: Spec = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  title: { fontSize: 14, anchor: 'start' },
};
const base = (s: Spec): Spec => ({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, ...s });
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Objectives of a run with their directions: the result's, else the recorded `--objectives` flag. */
function objectivesOf(run: { config: Record<string, unknown>; result: unknown }): { key: string; direction: Direction }[] {
  const r = run.result && typeof run.result === 'object' ? (run.result as Record<string, unknown>) : {};
  if (Array.isArray(r['objectives'])) return (r['objectives'] as { key: string; direction: Direction }[]).filter((o) => typeof o?.key === 'string');
  const text = run.config['objectives'];
  if (typeof text !== 'string') return [];
  try {
    return parseObjectives(text).map((o) => ({ key: o.key, direction: o.direction }));
  } catch {
    return [];
  }
}

function bestHistory(trials: ReturnType<DashboardQueries['trialValues']>, key: string, direction: Direction): DashboardChart | undefined {
  const values: Spec[] = [];
  let best: number | undefined;
  let evaluated = 0;
  for (const t of trials) {
    const v = t.objectives[key];
    if (!finite(v)) continue;
    evaluated++;
    if (best === undefined || (direction === 'max' ? v > best : v < best)) {
      best = v;
      values.push({ trial: t.idx + 1, best, arch: t.arch });
    }
  }
  if (best === undefined) return undefined;
  const lastIdx = trials[trials.length - 1]!.idx + 1;
  if ((values[values.length - 1]!['trial'] as number) < lastIdx) values.push({ trial: lastIdx, best, arch: values[values.length - 1]!['arch'] });
  return {
    id: 'chart-best-history',
    kind: 'best-history',
    title: `Best ${key} so far`,
    caption: `${evaluated} trials with a value; a point where the best improved (${direction === 'max' ? 'maximised' : 'minimised'})`,
    renderer: 'svg',
    spec: base({
      width: 620,
      height: 240,
      data: { values },
      mark: { type: 'line', interpolate: 'step-after', point: true },
      encoding: {
        x: { field: 'trial', type: 'quantitative', title: 'trial' },
        y: { field: 'best', type: 'quantitative', title: `best ${key}`, scale: { zero: false } },
        tooltip: [{ field: 'trial' }, { field: 'best', format: '.4g' }, { field: 'arch' }],
      },
    }),
  };
}

/** Parallel coordinates: one line per trial through its decisions (choice index scaled to 0..1), coloured by the objective. */
async function parallelCoordinates(trials: ReturnType<DashboardQueries['trialValues']>, spaceName: string, key: string): Promise<DashboardChart | undefined> {
  let space;
  try {
    await import('../spaces/builtin.js');
    const { getSpace } = await import('../spaces/registry.js');
    space = getSpace(spaceName);
  } catch {
    return undefined;
  }
  const decisions = space.decisions();
  if (decisions.length === 0 || decisions.length > 40) return undefined;
  // The most recent 600 trials keep the SVG light on a 15,625-trial run.
  const rows: Spec[] = [];
  for (const t of trials.slice(-600)) {
    const v = t.objectives[key];
    if (!finite(v)) continue;
    let codes: number[];
    try {
      codes = space.encode(space.parse(t.arch));
    } catch {
      continue;
    }
    codes.forEach((c, i) => {
      const d = decisions[i]!;
      rows.push({ trial: t.idx + 1, decision: d.label, pos: d.choices.length > 1 ? c / (d.choices.length - 1) : 0.5, choice: d.choices[c] ?? String(c), value: v });
    });
  }
  if (rows.length === 0) return undefined;
  return {
    id: 'chart-parallel',
    kind: 'parallel',
    title: `Decisions against ${key}`,
    caption: `${spaceName}: one line per trial (latest ${Math.min(600, trials.length)}), each axis a decision with its choices from bottom to top`,
    renderer: 'svg',
    spec: base({
      width: Math.max(300, decisions.length * 70),
      height: 280,
      data: { values: rows },
      mark: { type: 'line', opacity: 0.35, strokeWidth: 1 },
      encoding: {
        x: { field: 'decision', type: 'nominal', sort: decisions.map((d) => d.label), title: null, axis: { labelAngle: 0, domain: false, grid: true, gridColor: '#bbb' } },
        y: { field: 'pos', type: 'quantitative', title: 'choice', scale: { domain: [0, 1] }, axis: { labels: false, ticks: false, grid: false } },
        detail: { field: 'trial', type: 'nominal' },
        color: { field: 'value', type: 'quantitative', title: key, scale: { scheme: 'viridis' } },
        tooltip: [{ field: 'trial' }, { field: 'decision' }, { field: 'choice' }, { field: 'value', format: '.4g', title: key }],
      },
    }),
  };
}

/** A Pareto front from the stored trials, for runs still searching (the report's comes from the result). */
function livePareto(
  db: Database.Database,
  runId: string,
  trials: ReturnType<DashboardQueries['trialValues']>,
  objectives: { key: string; direction: Direction }[],
  space: string,
  strategy: string,
  table?: Nb201Table,
): DashboardChart[] {
  if (objectives.length < 2) return [];
  const [a, b] = [objectives[0]!, objectives[1]!];
  const evaluated = trials.map((t) => ({ idx: t.idx, arch: t.arch, objectives: t.objectives, feasible: t.status === 'done' }));
  const pts = evaluated.filter((e) => finite(e.objectives[a.key]) && finite(e.objectives[b.key]));
  const front = paretoFrontIndices(
    pts.map((e) => [e.objectives[a.key]!, e.objectives[b.key]!]),
    [a.direction, b.direction],
  ).map((i) => ({
    arch: pts[i]!.arch,
    objectives: { [a.key]: pts[i]!.objectives[a.key]!, [b.key]: pts[i]!.objectives[b.key]! },
    feasible: true,
  }));
  let truth: MooData['truth'];
  const stored = db.prepare("SELECT values_json FROM metrics WHERE run_id = ? AND scope = 'pareto-true' ORDER BY epoch LIMIT 1").get(runId) as { values_json: string } | undefined;
  if (stored) {
    const v = JSON.parse(stored.values_json) as { x?: unknown; y?: unknown; points?: unknown };
    if (Array.isArray(v.points)) truth = { x: String(v.x), y: String(v.y), points: v.points as [number, number][] };
  } else if (table && space === table.space) truth = tableTruth(table, a.key, b.key);
  return paretoCharts({ strategy, space, objectives, evaluated, front, ...(truth ? { truth } : {}) }).map((c) => ({
    ...c,
    caption: `${c.caption} (live, from the stored trials)`,
    renderer: 'svg' as const,
  }));
}

/** How many data values a spec carries (its own and its layers'): many points draw on a canvas. */
function valueCount(spec: Spec): number {
  let n = 0;
  const visit = (s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    const o = s as Spec;
    const d = o['data'] as { values?: unknown[] } | undefined;
    if (Array.isArray(d?.values)) n += d.values.length;
    for (const k of ['layer', 'hconcat', 'vconcat', 'concat']) if (Array.isArray(o[k])) (o[k] as unknown[]).forEach(visit);
    if (o['spec']) visit(o['spec']);
  };
  visit(spec);
  return n;
}

/** Every chart of a run, in page order. Reads nothing but the store. */
export async function dashboardCharts(db: Database.Database, q: DashboardQueries, runId: string, o: { table?: Nb201Table } = {}): Promise<DashboardChart[]> {
  const store = Store.wrapReadonly(db, db.name);
  const data = gatherReportData(store, runId, { table: o.table, storeOnly: true });
  const report = buildCharts(data).map((c): DashboardChart => ({ ...c, renderer: valueCount(c.spec) > 4000 ? 'canvas' : 'svg' }));
  const run = data.run;
  const trials = q.trialValues(runId);
  const objectives = objectivesOf(run);
  const result = run.result && typeof run.result === 'object' ? (run.result as Record<string, unknown>) : {};
  const space = String(result['space'] ?? run.config['space'] ?? 'nb201');
  const strategy = String(result['strategy'] ?? run.config['strategy'] ?? run.command);
  const extra: DashboardChart[] = [];
  const first = objectives[0] ?? (data.correlation ? { key: data.correlation.target, direction: 'max' as Direction } : undefined);
  if (trials.length && first && !data.correlation) {
    const h = bestHistory(trials, first.key, first.direction);
    if (h) extra.push(h);
  }
  if (!data.moo && trials.length) {
    extra.push(...livePareto(db, runId, trials, objectives, space, strategy, o.table).map((c) => ({ ...c, renderer: valueCount(c.spec) > 4000 ? ('canvas' as const) : ('svg' as const) })));
  }
  if (trials.length && first) {
    const p = await parallelCoordinates(trials, space, first.key);
    if (p) extra.push(p);
  }
  // Pareto first, then the history and decisions, then the rest of the report's charts.
  const pareto = report.filter((c) => c.kind === 'pareto');
  return [...pareto, ...extra, ...report.filter((c) => c.kind !== 'pareto')];
}
