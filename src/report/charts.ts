/**
 * Vega-Lite specifications of the report's charts, built from `ReportData`. Each chart is one
 * vega-embed container in the page; a kind of data the run lacks gives no chart.
 */
import { kendallTauWithN, spearmanWithN } from '../util/stats.js';
import type { CorrelationData, CurveRow, DtbData, MooData, ReportData, SearchData } from './data.js';

export type ChartKind = 'correlation' | 'alpha-epochs' | 'alpha-slider' | 'collapse' | 'search-accuracy' | 'pareto' | 'train-curves' | 'dtb-curves';

export interface Chart {
  /** DOM id of the chart's container (unique in the page). */
  id: string;
  kind: ChartKind;
  title: string;
  /** One line under the heading. */
  caption?: string;
  spec: Record<string, unknown>;
}

type Spec = Record<string, unknown>;

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const CONFIG: Spec = {
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  title: { fontSize: 14, anchor: 'start', subtitleColor: '#555' },
};

function finite(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : 'n/a';
}

function base(spec: Spec): Spec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, ...spec };
}

/** Proxy score vs target accuracy, one chart per proxy, Kendall τ and Spearman ρ in the title. */
export function correlationCharts(d: CorrelationData): Chart[] {
  return d.proxies.map((p, k) => {
    const xs = d.points.map((q) => (finite(q.scores[p]) ? q.scores[p]! : NaN));
    const ys = d.points.map((q) => (finite(q.target) ? q.target! : NaN));
    const tau = kendallTauWithN(xs, ys);
    const rho = spearmanWithN(xs, ys);
    const values = d.points.flatMap((q, i) => (Number.isNaN(xs[i]!) || Number.isNaN(ys[i]!) ? [] : [{ arch: q.arch, score: xs[i]!, target: ys[i]! }]));
    const title = `${p} vs ${d.target}: Kendall τ = ${fmt(tau.value)}, Spearman ρ = ${fmt(rho.value)}`;
    return {
      id: `chart-correlation-${k}`,
      kind: 'correlation' as const,
      title: `${p} vs ${d.target}`,
      caption: `${tau.n} architectures${tau.dropped ? ` (${tau.dropped} with a missing score or target left out)` : ''}`,
      spec: base({
        title: { text: title, subtitle: `n = ${tau.n}` },
        width: 520,
        height: 340,
        data: { values },
        mark: { type: 'point', filled: true, opacity: 0.6, size: 40, color: '#1f77b4' },
        encoding: {
          x: { field: 'score', type: 'quantitative', title: p, scale: { zero: false } },
          y: { field: 'target', type: 'quantitative', title: d.target, scale: { zero: false } },
          tooltip: [{ field: 'arch' }, { field: 'score', format: '.4g', title: p }, { field: 'target', format: '.2f', title: d.target }],
        },
      }),
    };
  });
}

function alphaRows(d: SearchData): Spec[] {
  const rows: Spec[] = [];
  for (const e of d.epochs) {
    e.alpha.forEach((cell, c) => {
      cell.forEach((edge, j) => {
        edge.forEach((w, k) => {
          rows.push({
            epoch: e.epoch,
            cell: d.cells[c] ?? `cell ${c}`,
            edge: d.edges[c]?.[j] ?? `edge ${j}`,
            panel: `${d.cells.length > 1 ? `${d.cells[c]}: ` : ''}${d.edges[c]?.[j] ?? `edge ${j}`}`,
            op: d.ops[k] ?? `op ${k}`,
            w,
          });
        });
      });
    });
  }
  return rows;
}

/** Mean normalised entropy of softmax(α) over every edge (1: uniform, 0: one-hot) and mean skip weight. */
function alphaSummary(d: SearchData, e: SearchData['epochs'][number]): { entropy: number; skip: number } {
  const skip = d.ops.indexOf('skip_connect');
  let h = 0;
  let s = 0;
  let n = 0;
  for (const cell of e.alpha.slice(0, 1)) {
    for (const edge of cell) {
      const m = edge.length;
      let he = 0;
      for (const w of edge) if (w > 0) he -= w * Math.log(w);
      h += m > 1 ? he / Math.log(m) : 0;
      s += skip >= 0 ? (edge[skip] ?? 0) : 0;
      n++;
    }
  }
  return { entropy: n ? h / n : NaN, skip: n ? s / n : NaN };
}

export function searchCharts(d: SearchData): Chart[] {
  const rows = alphaRows(d);
  const last = d.epochs[d.epochs.length - 1]!.epoch;
  const first = d.epochs[0]!.epoch;
  const nEdges = Math.max(...d.edges.map((e) => e.length));
  const cellW = Math.max(90, Math.min(320, d.epochs.length * 14));
  const charts: Chart[] = [
    {
      id: 'chart-alpha-epochs',
      kind: 'alpha-epochs',
      title: 'Architecture weights over epochs',
      caption: `softmax(α) of every op on every edge, epoch by epoch (${d.strategy} on ${d.space}); colour scale spans the values reached`,
      spec: base({
        title: { text: `softmax(α) per edge over ${d.epochs.length} epochs`, subtitle: `${d.strategy} on ${d.space}` },
        data: { values: rows },
        facet: { field: 'panel', type: 'nominal', title: null, sort: null, header: { labelFontSize: 11 } },
        columns: d.cells.length > 1 ? Math.min(4, nEdges) : 3,
        spec: {
          width: cellW,
          height: d.ops.length * 16,
          mark: 'rect',
          encoding: {
            x: { field: 'epoch', type: 'ordinal', title: 'epoch', axis: { labelAngle: 0, labelOverlap: 'greedy' } },
            y: { field: 'op', type: 'nominal', sort: d.ops, title: null },
            // The data's own range: early-epoch differences of a few percent stay visible (the slider heatmap below uses [0, 1]).
            color: { field: 'w', type: 'quantitative', title: 'softmax(α)', scale: { scheme: 'viridis', zero: false, nice: false } },
            tooltip: [{ field: 'panel', title: 'edge' }, { field: 'op' }, { field: 'epoch' }, { field: 'w', format: '.3f', title: 'softmax(α)' }],
          },
        },
        resolve: { scale: { x: 'shared', y: 'shared' } },
      }),
    },
    {
      id: 'chart-alpha-slider',
      kind: 'alpha-slider',
      title: 'Architecture weights at one epoch',
      caption: 'edge × op heatmap; move the slider to pick the epoch',
      spec: base({
        title: { text: 'softmax(α), edge × op', subtitle: 'epoch chosen with the slider below' },
        params: [{ name: 'epoch_sel', value: last, bind: { input: 'range', min: first, max: last, step: 1, name: 'epoch ' } }],
        data: { values: rows },
        transform: [{ filter: 'datum.epoch == epoch_sel' }],
        ...(d.cells.length > 1 ? { facet: { column: { field: 'cell', type: 'nominal', title: null, sort: d.cells } } } : {}),
        ...(d.cells.length > 1 ? { spec: heatLayer(d, nEdges) } : heatLayer(d, nEdges)),
      }),
    },
  ];
  const diag = d.epochs.flatMap((e) => {
    const a = alphaSummary(d, e);
    const out: Spec[] = [];
    if (finite(e.skipCount)) out.push({ epoch: e.epoch, series: 'skip_connect in derived cell', value: e.skipCount, panel: 'count' });
    if (finite(e.paramFreeCount)) out.push({ epoch: e.epoch, series: 'parameter-free ops in derived cell', value: e.paramFreeCount, panel: 'count' });
    if (finite(a.entropy)) out.push({ epoch: e.epoch, series: 'mean normalised entropy of softmax(α)', value: a.entropy, panel: 'weight' });
    if (finite(a.skip) && d.ops.includes('skip_connect')) out.push({ epoch: e.epoch, series: 'mean skip_connect weight', value: a.skip, panel: 'weight' });
    return out.map((r) => ({ ...r, genotype: e.genotype ?? '' }));
  });
  if (diag.length) {
    const line = (panel: string, title: string): Spec => ({
      width: 420,
      height: 220,
      transform: [{ filter: `datum.panel == '${panel}'` }],
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title, ...(panel === 'weight' ? { scale: { domain: [0, 1] } } : { axis: { tickMinStep: 1 } }) },
        color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', direction: 'vertical', labelLimit: 400 } },
        tooltip: [{ field: 'epoch' }, { field: 'series' }, { field: 'value', format: '.3f' }, { field: 'genotype' }],
      },
    });
    charts.push({
      id: 'chart-collapse',
      kind: 'collapse',
      title: 'Collapse diagnostics',
      caption: 'a growing count of skip / parameter-free ops in the derived cell, or α collapsing onto skip_connect, is the DARTS failure mode',
      spec: base({
        title: { text: 'Collapse diagnostics over epochs' },
        data: { values: diag },
        hconcat: [line('count', 'ops in the derived cell'), line('weight', 'softmax(α)')],
        resolve: { scale: { color: 'independent' } },
      }),
    });
  }
  const acc = d.epochs.flatMap((e) => {
    const out: Spec[] = [];
    if (finite(e.trainAcc)) out.push({ epoch: e.epoch, series: 'supernet train acc', value: 100 * e.trainAcc });
    if (finite(e.valAcc)) out.push({ epoch: e.epoch, series: 'supernet val acc', value: 100 * e.valAcc });
    for (const [k, v] of Object.entries(e.bench ?? {})) if (finite(v)) out.push({ epoch: e.epoch, series: `NB201 ${k} of derived cell`, value: v });
    return out.map((r) => ({ ...r, genotype: e.genotype ?? '' }));
  });
  if (acc.length) {
    charts.push({
      id: 'chart-search-accuracy',
      kind: 'search-accuracy',
      title: 'Search accuracy',
      caption: 'supernet accuracy and, on NB201, the benchmark accuracy of the cell derived at each epoch',
      spec: base({
        title: { text: 'Accuracy over search epochs (%)' },
        width: 600,
        height: 260,
        data: { values: acc },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
          y: { field: 'value', type: 'quantitative', title: 'accuracy (%)', scale: { zero: false } },
          color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 400 } },
          tooltip: [{ field: 'epoch' }, { field: 'series' }, { field: 'value', format: '.2f' }, { field: 'genotype' }],
        },
      }),
    });
  }
  return charts;
}

function heatLayer(d: SearchData, nEdges: number): Spec {
  const enc = {
    x: { field: 'op', type: 'nominal', sort: d.ops, title: null, axis: { labelAngle: -30 } },
    y: { field: 'edge', type: 'nominal', sort: d.edges[0], title: null },
  };
  return {
    width: d.ops.length * 64,
    height: nEdges * 24,
    layer: [
      {
        mark: 'rect',
        encoding: {
          ...enc,
          color: { field: 'w', type: 'quantitative', title: 'softmax(α)', scale: { scheme: 'viridis', domain: [0, 1] } },
          tooltip: [{ field: 'edge' }, { field: 'op' }, { field: 'w', format: '.3f' }],
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: { ...enc, text: { field: 'w', type: 'quantitative', format: '.2f' }, color: { condition: { test: 'datum.w > 0.6', value: 'black' }, value: 'white' } },
      },
    ],
  };
}

/** The first two objectives: every evaluated architecture, the found front, the true front where known. */
export function paretoCharts(d: MooData): Chart[] {
  if (d.objectives.length < 2) return [];
  const [yo, xo] = [d.objectives[0]!, d.objectives[1]!];
  const SERIES = ['evaluated', 'infeasible', 'true front (NB201)', 'found front'];
  const COLORS = ['#9e9e9e', '#f0a35e', '#2ca02c', '#d62728'];
  const evaluated = d.evaluated.flatMap((e) => {
    const x = e.objectives[xo.key];
    const y = e.objectives[yo.key];
    return finite(x) && finite(y) ? [{ x, y, arch: e.arch, evaluation: e.idx + 1, series: e.feasible ? 'evaluated' : 'infeasible' }] : [];
  });
  const front = d.front.flatMap((p) => {
    const x = p.objectives[xo.key];
    const y = p.objectives[yo.key];
    return finite(x) && finite(y) ? [{ x, y, arch: p.arch, series: 'found front' }] : [];
  });
  const truth = d.truth && d.truth.x === xo.key && d.truth.y === yo.key ? d.truth.points.map(([x, y]) => ({ x, y, series: 'true front (NB201)' })) : [];
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: SERIES, range: COLORS } };
  const x = { field: 'x', type: 'quantitative', title: `${xo.key} (${xo.direction})`, scale: { zero: false } };
  const y = { field: 'y', type: 'quantitative', title: `${yo.key} (${yo.direction})`, scale: { zero: false } };
  // Staircase through a front sorted by x: the best y attainable at each x (from the left when x is minimised).
  const interpolate = xo.direction === 'min' ? 'step-after' : 'step-before';
  const layers: Spec[] = [
    {
      data: { values: evaluated },
      mark: { type: 'point', filled: true, size: 22, opacity: 0.55 },
      encoding: { x, y, color, tooltip: [{ field: 'arch' }, { field: 'evaluation' }, { field: 'x', title: xo.key, format: '.4g' }, { field: 'y', title: yo.key, format: '.4g' }] },
    },
  ];
  if (truth.length) {
    layers.push({ data: { values: truth }, mark: { type: 'line', interpolate, strokeWidth: 1.5, point: { size: 14 } }, encoding: { x, y, color, order: { field: 'x' } } });
  }
  layers.push({
    data: { values: front },
    mark: { type: 'line', interpolate, strokeWidth: 2, point: { size: 50, filled: true } },
    encoding: { x, y, color, order: { field: 'x' }, tooltip: [{ field: 'arch' }, { field: 'x', title: xo.key, format: '.4g' }, { field: 'y', title: yo.key, format: '.4g' }] },
  });
  return [
    {
      id: 'chart-pareto',
      kind: 'pareto',
      title: 'Pareto front',
      caption: `${d.strategy} on ${d.space}: ${d.evaluated.length} evaluated architectures, ${d.front.length} on the found front${truth.length ? `, ${truth.length} on the true NB201 front` : ''}`,
      spec: base({
        title: { text: `Pareto front: ${yo.key} vs ${xo.key}`, subtitle: `${d.strategy} on ${d.space}` },
        width: 620,
        height: 400,
        layer: layers,
      }),
    },
  ];
}

function foldCurves(rows: readonly Record<string, unknown>[], suffix: string, extra: (r: Record<string, unknown>) => Spec = () => ({})): Spec[] {
  return rows.flatMap((r) =>
    Object.entries(r).flatMap(([k, v]) => (k.endsWith(suffix) && finite(v as number) ? [{ epoch: r['epoch'], series: k.slice(0, -suffix.length), value: v, ...extra(r) }] : [])),
  );
}

export function trainCharts(rows: CurveRow[]): Chart[] {
  const acc = foldCurves(rows, '_acc');
  const loss = foldCurves(rows, '_loss');
  if (!acc.length && !loss.length) return [];
  const panel = (values: Spec[], title: string): Spec => ({
    width: 380,
    height: 240,
    data: { values },
    mark: { type: 'line', point: rows.length <= 50 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: 'split' },
      tooltip: [{ field: 'epoch' }, { field: 'series' }, { field: 'value', format: '.4f' }],
    },
  });
  return [
    {
      id: 'chart-train-curves',
      kind: 'train-curves',
      title: 'Training curves',
      caption: `${rows.length} epochs`,
      spec: base({ title: { text: 'Training curves' }, hconcat: [panel(acc, 'accuracy (%)'), panel(loss, 'loss')] }),
    },
  ];
}

export function dtbCharts(d: DtbData): Chart[] {
  const rows = d.archs.flatMap((a) => a.epochs.map((e) => ({ ...e, index: a.index, arch: a.arch })));
  const acc = foldCurves(rows, '_acc', (r) => ({ index: r['index'], arch: r['arch'] })).filter((r) => r['series'] === 'val' || r['series'] === 'test');
  const loss = foldCurves(rows, '_loss', (r) => ({ index: r['index'], arch: r['arch'] })).filter((r) => r['series'] === 'train');
  if (!acc.length && !loss.length) return [];
  const many = d.archs.length > 10;
  const panel = (values: Spec[], title: string): Spec => ({
    width: 380,
    height: 260,
    data: { values },
    mark: { type: 'line', opacity: many ? 0.5 : 0.9, strokeWidth: 1.2 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title, scale: { zero: false } },
      detail: { field: 'index', type: 'nominal' },
      color: many ? { value: '#1f77b4' } : { field: 'index', type: 'nominal', title: 'arch #' },
      tooltip: [{ field: 'index', title: 'arch #' }, { field: 'arch' }, { field: 'epoch' }, { field: 'value', format: '.4f' }],
    },
  });
  return [
    {
      id: 'chart-dtb-curves',
      kind: 'dtb-curves',
      title: 'DTB training curves',
      caption: `${d.archs.length} architectures`,
      spec: base({ title: { text: `DTB: ${d.archs.length} architectures` }, hconcat: [panel(acc, 'validation accuracy (%)'), panel(loss, 'train loss')] }),
    },
  ];
}

/** Every chart that applies to the run, in page order. */
export function buildCharts(d: ReportData): Chart[] {
  return [
    ...(d.correlation ? correlationCharts(d.correlation) : []),
    ...(d.search ? searchCharts(d.search) : []),
    ...(d.moo ? paretoCharts(d.moo) : []),
    ...(d.train ? trainCharts(d.train) : []),
    ...(d.dtb ? dtbCharts(d.dtb) : []),
  ];
}
