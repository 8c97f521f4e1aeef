/**
 * `tsnas report`: one self-contained HTML page (Vega-Lite charts) for a run of the experiment
 * store. Data gathering: data.ts; chart specs: charts.ts; the page: html.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Store } from '../store/store.js';
import type { Nb201Table } from '../benchmarks/nb201-table.js';
import { TsnasError } from '../util/errors.js';
import { buildCharts, type Chart } from './charts.js';
import { gatherReportData, type ReportData } from './data.js';
import { renderPage } from './html.js';

export { buildCharts, type Chart, type ChartKind } from './charts.js';
export { gatherReportData, type ReportData } from './data.js';

function short(x: unknown, max = 240): string {
  const s = typeof x === 'string' ? x : JSON.stringify(x);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function summary(d: ReportData, store: Store): [string, string][] {
  const r = d.run;
  const rows: [string, string][] = [
    ['run', r.id],
    ['command', r.command],
    ['status', r.status],
    ['created', r.createdAt],
    ['updated', r.updatedAt],
  ];
  if (r.seed !== null) rows.push(['seed', String(r.seed)]);
  rows.push(['argv', `tsnas ${r.argv.join(' ')}`]);
  if (r.outDir) rows.push(['out', r.outDir]);
  rows.push(['store', store.path]);
  if (r.error) rows.push(['error', r.error]);
  const res = r.result;
  if (res && typeof res === 'object' && !Array.isArray(res)) {
    for (const [k, v] of Object.entries(res as Record<string, unknown>)) {
      if (v === null || v === undefined || k === 'config' || k === 'history') continue;
      if (Array.isArray(v) && v.length > 8) rows.push([`result.${k}`, `${v.length} entries`]);
      else rows.push([`result.${k}`, short(v)]);
    }
  }
  return rows;
}

export interface ReportOptions {
  /** NB201 table, for the true Pareto front of runs that did not store it. */
  table?: Nb201Table;
}

/** The page's HTML and the charts it holds. */
export function buildReport(store: Store, runId: string, o: ReportOptions = {}): { html: string; charts: Chart[]; data: ReportData } {
  const data = gatherReportData(store, runId, o);
  const charts = buildCharts(data);
  const r = data.run;
  const html = renderPage({
    title: `tsnas report: ${r.id}`,
    subtitle: `${r.command} · ${r.status} · ${charts.length} chart${charts.length === 1 ? '' : 's'}`,
    summary: summary(data, store),
    charts,
    notes: data.notes,
  });
  return { html, charts, data };
}

export function writeReport(store: Store, runId: string, out: string, o: ReportOptions = {}): { out: string; charts: Chart[]; bytes: number } {
  const { html, charts } = buildReport(store, runId, o);
  try {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, html);
  } catch (e) {
    throw new TsnasError(`cannot write the report ${out}: ${(e as Error).message}`);
  }
  return { out, charts, bytes: Buffer.byteLength(html) };
}
