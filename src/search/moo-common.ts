/**
 * Shared machinery of the multi-objective strategies (NSGA-II, random search, TND-NAS): an
 * evaluator with an evaluation budget and per-architecture cache, constraint handling, the result
 * shape of `tsnas search --json`, and a static SVG Pareto plot.
 *
 * Evaluations count distinct architectures: asking again for an architecture already evaluated
 * costs nothing (its values are cached), which is how NAS benchmarks count queries.
 *
 * Constraints (Deb's constrained domination, as in Deb et al. 2002's constrained NSGA-II):
 * feasible points come first and are ranked by non-dominated sorting; infeasible ones follow,
 * ordered by total violation (the sum of each constraint's violation relative to its bound). The
 * front a search returns holds feasible points only, unless none is feasible (then the least
 * violating, flagged `feasible: false`). Constraints may bound objectives or quantities that are
 * only constrained (`constraints`: evaluated for feasibility, reported, not optimised).
 */
import { writeFileSync } from 'node:fs';
import type { AnyArch, SpaceName } from '../spaces/index.js';
import { nonDominatedSort, paretoFrontIndices, type Direction } from '../objectives/pareto.js';
import { closeObjectives, objectiveRecord, type ArchObjective } from '../objectives/objectives.js';
import { TsnasError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

export interface EvalRecord {
  arch: AnyArch;
  values: number[];
  /** Values of the constraint-only quantities (MooEvaluator.constraints), in order. */
  extra: number[];
  /** Total constraint violation (0 = feasible). */
  violation: number;
  /** 1-based evaluation number at which it was first evaluated. */
  at: number;
}

export class MooEvaluator {
  readonly directions: Direction[];
  readonly history: EvalRecord[] = [];
  private readonly cache = new Map<string, EvalRecord>();
  /** Wall seconds of earlier sessions of this run (a resumed run), and when this session's clock started. */
  private priorS = 0;
  private clockStart = Date.now();
  /** Wall-clock limit in seconds over all sessions of the run (`--time-limit`); undefined: none. */
  timeLimitS: number | undefined;

  constructor(
    readonly objectives: readonly ArchObjective[],
    readonly budget: number,
    /** Quantities that are constrained but not optimised (e.g. `size<=2MB` beside accuracy and latency). */
    readonly constraints: readonly ArchObjective[] = [],
  ) {
    if (objectives.length === 0) throw new TsnasError('multi-objective search needs at least one objective');
    if (!(Number.isInteger(budget) && budget >= 1)) throw new TsnasError(`--budget must be a positive integer, got ${budget}`);
    this.directions = objectives.map((o) => o.direction);
  }

  get evaluations(): number {
    return this.history.length;
  }

  /** The budget or the time limit is spent: a strategy starts no new batch (it finishes the one it planned). */
  get exhausted(): boolean {
    return this.budgetSpent || this.timeUp;
  }

  /** Every budgeted evaluation is used. */
  get budgetSpent(): boolean {
    return this.history.length >= this.budget;
  }

  /** The time limit has passed (never, without one). */
  get timeUp(): boolean {
    return this.timeLimitS !== undefined && this.elapsedS >= this.timeLimitS;
  }

  /** Wall seconds of the run so far, earlier sessions included. */
  get elapsedS(): number {
    return this.priorS + (Date.now() - this.clockStart) / 1000;
  }

  /** Start this session's clock after `priorS` seconds spent by earlier sessions (a resumed run). */
  startClock(priorS = 0): void {
    this.priorS = priorS;
    this.clockStart = Date.now();
  }

  has(a: AnyArch): boolean {
    return this.cache.has(a.text);
  }

  lookup(a: AnyArch): EvalRecord | undefined {
    return this.cache.get(a.text);
  }

  /** Evaluate (or recall) an architecture; undefined when it is new and the budget is spent. */
  evaluate(a: AnyArch): EvalRecord | undefined {
    const hit = this.cache.get(a.text);
    if (hit) return hit;
    if (this.budgetSpent) return undefined;
    const values = this.objectives.map((o) => o.evaluate(a));
    const extra = this.constraints.map((o) => o.evaluate(a));
    const v = this.objectives.reduce((s, o, i) => s + o.violation(values[i]!), 0) + this.constraints.reduce((s, o, i) => s + o.violation(extra[i]!), 0);
    const rec: EvalRecord = { arch: a, values, extra, violation: v, at: this.history.length + 1 };
    this.cache.set(a.text, rec);
    this.history.push(rec);
    return rec;
  }

  /** A record's values by key: the objectives, then the constraint-only quantities. */
  record(r: EvalRecord): Record<string, number> {
    return { ...objectiveRecord(this.objectives, r.values), ...objectiveRecord(this.constraints, r.extra) };
  }

  /** Release what the objectives hold open (a browser). */
  close(): void {
    closeObjectives([...this.objectives, ...this.constraints]);
  }

  /** The non-dominated feasible records of the first `upTo` evaluations (all by default). */
  front(upTo = this.history.length): EvalRecord[] {
    return feasibleFront(this.history.slice(0, upTo), this.directions);
  }
}

/**
 * The Pareto front of the feasible records; when none is feasible, the least-violating ones (so a
 * search always returns something, flagged by their violation).
 */
export function feasibleFront(recs: readonly EvalRecord[], dirs: readonly Direction[]): EvalRecord[] {
  const feas = recs.filter((r) => r.violation === 0);
  if (feas.length === 0) {
    if (recs.length === 0) return [];
    const best = Math.min(...recs.map((r) => r.violation));
    return recs.filter((r) => r.violation === best);
  }
  return paretoFrontIndices(
    feas.map((r) => r.values),
    dirs,
  ).map((i) => feas[i]!);
}

/** Constrained non-dominated sort: feasible fronts, then infeasible groups by equal violation. */
export function constrainedSort(recs: readonly EvalRecord[], dirs: readonly Direction[]): number[][] {
  const feas: number[] = [];
  const inf: number[] = [];
  recs.forEach((r, i) => (r.violation === 0 ? feas : inf).push(i));
  const fronts = nonDominatedSort(
    feas.map((i) => recs[i]!.values),
    dirs,
  ).map((f) => f.map((j) => feas[j]!));
  inf.sort((a, b) => recs[a]!.violation - recs[b]!.violation || a - b);
  let k = 0;
  while (k < inf.length) {
    const v = recs[inf[k]!]!.violation;
    const group: number[] = [];
    while (k < inf.length && recs[inf[k]!]!.violation === v) group.push(inf[k++]!);
    fronts.push(group);
  }
  return fronts;
}

export interface ParetoEntry {
  arch: string;
  objectives: Record<string, number>;
  /** Evaluation number at which the search first evaluated it. */
  evaluation: number;
  feasible: boolean;
}

export interface MooResult {
  strategy: string;
  space: SpaceName;
  objectives: { key: string; direction: Direction; constraint?: string }[];
  /** Constraints on quantities that are not objectives (`--constraints`), e.g. `size<=2000000`. */
  constraints?: string[];
  pareto: ParetoEntry[];
  evaluations: number;
  budget: number;
  /** `--time-limit` in seconds, when the run had one. */
  time_limit_s?: number;
  /** Why the search ended: every budgeted evaluation used, the time limit, or the algorithm's own end (a stalled population). */
  ended_by: 'budget' | 'time-limit' | 'algorithm';
  seed: number;
  wall_s: number;
  /** Strategy-specific extras (e.g. TND-NAS's final α, stage log). */
  extra?: Record<string, unknown>;
}

export function buildResult(strategy: string, space: SpaceName, ev: MooEvaluator, seed: number, wallS: number, front: readonly EvalRecord[] = ev.front(), extra?: Record<string, unknown>): MooResult {
  const sorted = [...front].sort((a, b) => {
    const d = ev.directions[0] === 'max' ? b.values[0]! - a.values[0]! : a.values[0]! - b.values[0]!;
    return d || a.at - b.at;
  });
  return {
    strategy,
    space,
    objectives: ev.objectives.map((o) => ({
      key: o.key,
      direction: o.direction,
      ...(o.spec.constraint ? { constraint: `${o.spec.constraint.op}${o.spec.constraint.value}` } : {}),
    })),
    ...(ev.constraints.length ? { constraints: ev.constraints.map((o) => `${o.key}${o.spec.constraint!.op}${o.spec.constraint!.value}`) } : {}),
    pareto: sorted.map((r) => ({ arch: r.arch.text, objectives: ev.record(r), evaluation: r.at, feasible: r.violation === 0 })),
    evaluations: ev.evaluations,
    budget: ev.budget,
    ...(ev.timeLimitS !== undefined ? { time_limit_s: ev.timeLimitS } : {}),
    ended_by: ev.budgetSpent ? 'budget' : ev.timeUp ? 'time-limit' : 'algorithm',
    seed,
    wall_s: wallS,
    ...(extra ? { extra } : {}),
  };
}

/**
 * Up to `n` distinct architectures no evaluation holds yet, drawn with `sample` (at most `maxTries`
 * draws, and no more than the budget has left): an initial population, drawn before any is
 * evaluated so it can be announced as one batch.
 */
export function drawNewArchs(ev: MooEvaluator, sample: (r: Rng) => AnyArch, rng: Rng, n: number, maxTries: number): AnyArch[] {
  const plan: AnyArch[] = [];
  const planned = new Set<string>();
  for (let tries = 0; plan.length < n && ev.evaluations + plan.length < ev.budget && tries < maxTries; tries++) {
    const a = sample(rng);
    if (ev.has(a) || planned.has(a.text)) continue;
    plan.push(a);
    planned.add(a.text);
  }
  return plan;
}

/** A child of two architectures of the same space: the space's crossover (src/spaces). */
export { crossoverArch } from '../spaces/index.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface PlotSeries {
  label: string;
  points: readonly (readonly [number, number])[];
  color: string;
  /** Draw as a staircase line (a front) instead of dots. */
  step?: boolean;
  /** Dot radius (default 3). */
  r?: number;
}

/**
 * A static SVG scatter of the first two objectives: every evaluated architecture (grey), the
 * found front (staircase), and optionally the true front. No plotting library is a dependency;
 * the SVG is self-contained.
 */
export function paretoSvg(title: string, xLabel: string, yLabel: string, series: readonly PlotSeries[]): string {
  const W = 720;
  const H = 500;
  const m = { l: 70, r: 180, t: 40, b: 55 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="20" y="30">${esc(title)}: no points</text></svg>\n`;
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="22" font-size="14">${esc(title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const xv = x0 + ((x1 - x0) * i) / 5;
    const yv = y0 + ((y1 - y0) * i) / 5;
    out.push(`<text x="${px(xv)}" y="${H - m.b + 16}" text-anchor="middle">${+xv.toPrecision(3)}</text>`);
    out.push(`<text x="${m.l - 6}" y="${py(yv) + 4}" text-anchor="end">${+yv.toPrecision(3)}</text>`);
  }
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(16,${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, k) => {
    if (s.step) {
      const pts = [...s.points].sort((a, b) => a[0] - b[0]);
      const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
    }
    for (const p of s.points) out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="${s.r ?? 3}" fill="${s.color}" fill-opacity="${s.step ? 1 : 0.45}"/>`);
    const ly = m.t + 10 + k * 18;
    out.push(`<circle cx="${W - m.r + 15}" cy="${ly - 4}" r="4" fill="${s.color}"/><text x="${W - m.r + 25}" y="${ly}">${esc(s.label)} (${s.points.length})</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Write the Pareto plot of a search (first two objectives) to an SVG file. */
export function writeParetoPlot(file: string, ev: MooEvaluator, res: MooResult, truth?: readonly (readonly [number, number])[]): void {
  if (ev.objectives.length < 2) throw new TsnasError('--plot needs at least two objectives');
  const [ox, oy] = [ev.objectives[1]!, ev.objectives[0]!];
  const series: PlotSeries[] = [{ label: 'evaluated', points: ev.history.map((r) => [r.values[1]!, r.values[0]!] as const), color: '#999999', r: 2 }];
  if (truth) series.push({ label: 'true front', points: truth, color: '#2ca02c', step: true, r: 2 });
  series.push({ label: `${res.strategy} front`, points: res.pareto.map((p) => [p.objectives[ox.key]!, p.objectives[oy.key]!] as const), color: '#d62728', step: true });
  const svg = paretoSvg(`${res.strategy} on ${res.space}: ${res.evaluations} evaluations, seed ${res.seed}`, `${ox.key} (${ox.direction})`, `${oy.key} (${oy.direction})`, series);
  try {
    writeFileSync(file, svg);
  } catch (e) {
    throw new TsnasError(`cannot write --plot ${file}: ${(e as Error).message}`);
  }
}
