/**
 * The report page: one self-contained HTML file. The vega, vega-lite and vega-embed browser
 * bundles are inlined from node_modules, the chart specs are inlined as JSON, and a
 * Content-Security-Policy forbids every network fetch, so the page works offline and from file://.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TsnasError } from '../util/errors.js';
import type { Chart } from './charts.js';

const require = createRequire(import.meta.url);

/** The UMD browser bundle of a package (its `unpkg` file), from node_modules. */
export function browserBundle(pkg: 'vega' | 'vega-lite' | 'vega-embed'): string {
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new TsnasError(`the '${pkg}' package is not installed (npm install); the report inlines its browser bundle`);
  }
  let dir = dirname(entry);
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      const meta = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; unpkg?: string; jsdelivr?: string };
      if (meta.name === pkg) {
        const file = join(dir, meta.unpkg ?? meta.jsdelivr ?? `build/${pkg}.min.js`);
        if (!existsSync(file)) throw new TsnasError(`the browser bundle of '${pkg}' is missing (${file})`);
        return readFileSync(file, 'utf8');
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new TsnasError(`cannot find the package directory of '${pkg}'`);
    dir = up;
  }
}

/** Script text safe inside <script>: no closing tag, no source-map fetch. */
function inlineScript(js: string): string {
  return js
    .replace(/^\/\/# sourceMappingURL=.*$/gm, '')
    .replace(/<\/(script)/gi, '<\\/$1')
    .replace(/<!--/g, '<\\!--');
}

/** JSON safe inside <script type="application/json">. */
function inlineJson(x: unknown): string {
  return JSON.stringify(x)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const CSP = "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:";

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #263238; color: #fff; padding: 16px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; font-weight: 600; }
header .sub { color: #b0bec5; font-size: 13px; }
main { padding: 8px 28px 40px; max-width: 1400px; }
section { background: #fff; border: 1px solid #e0e0e0; border-radius: 6px; padding: 14px 18px; margin: 18px 0; }
section h2 { font-size: 16px; margin: 0 0 2px; }
section p.caption { color: #666; font-size: 13px; margin: 0 0 10px; }
table.summary { border-collapse: collapse; font-size: 13px; }
table.summary td { padding: 3px 12px 3px 0; vertical-align: top; }
table.summary td:first-child { color: #666; white-space: nowrap; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
.status-done { color: #2e7d32; } .status-failed { color: #c62828; } .status-running, .status-stopped { color: #ef6c00; }
.notes { color: #666; font-size: 12px; }
.vega-bind { font-size: 13px; margin-top: 6px; }
`;

export interface PageInput {
  title: string;
  subtitle: string;
  /** Key/value rows of the summary table (values are plain text). */
  summary: [string, string][];
  charts: Chart[];
  notes: string[];
}

export function renderPage(p: PageInput): string {
  const bundles = (['vega', 'vega-lite', 'vega-embed'] as const).map((b) => `<script>${inlineScript(browserBundle(b))}</script>`).join('\n');
  const sections = p.charts
    .map(
      (c) =>
        `<section data-kind="${esc(c.kind)}"><h2>${esc(c.title)}</h2>${c.caption ? `<p class="caption">${esc(c.caption)}</p>` : ''}<div id="${esc(c.id)}" class="tsnas-chart" data-kind="${esc(c.kind)}"></div></section>`,
    )
    .join('\n');
  const specs = p.charts.map((c) => ({ id: c.id, spec: c.spec }));
  const rows = p.summary.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${k === 'status' ? `<span class="status-${esc(v)}">${esc(v)}</span>` : `<code>${esc(v)}</code>`}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tsnas report">
<title>${esc(p.title)}</title>
<style>${STYLE}</style>
${bundles}
</head>
<body>
<header><h1>${esc(p.title)}</h1><div class="sub">${esc(p.subtitle)}</div></header>
<main>
<section><h2>Run</h2><table class="summary">${rows}</table></section>
${sections || '<section><h2>No charts</h2><p class="caption">This run has no trials, per-epoch metrics or curves to plot.</p></section>'}
${p.notes.length ? `<p class="notes">${p.notes.map(esc).join('<br>')}</p>` : ''}
</main>
<script type="application/json" id="tsnas-specs">${inlineJson(specs)}</script>
<script>
(function () {
  var specs = JSON.parse(document.getElementById('tsnas-specs').textContent);
  var state = { total: specs.length, rendered: 0, errors: [], done: false };
  window.tsnasReport = state;
  Promise.all(specs.map(function (c) {
    return vegaEmbed('#' + c.id, c.spec, { actions: false, renderer: 'svg' }).then(function () {
      state.rendered++;
    }, function (e) {
      state.errors.push(c.id + ': ' + (e && e.message ? e.message : String(e)));
      console.error('tsnas report: chart ' + c.id + ' failed: ' + e);
    });
  })).then(function () { state.done = true; document.body.setAttribute('data-rendered', String(state.rendered)); });
})();
</script>
</body>
</html>
`;
}
