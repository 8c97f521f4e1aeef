/**
 * The dashboard page: plain HTML, one stylesheet and one script (no framework). The script draws
 * the runs table and the selected run's trial table from the JSON API, loads the vega bundles
 * only when charts are drawn (the table comes first), and follows `/events` for live trials.
 * All data goes into the DOM as text (never as HTML). The page's state is on
 * `window.tsnasDashboard` for the browser tests.
 */

/**
 * Content-Security-Policy of every response: scripts only from this server, no eval (the charts
 * evaluate Vega expressions with vega-interpreter), requests only to this server. Inline styles
 * stay allowed: vega-embed and vega-tooltip set them.
 */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function pageHtml(o: { store: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tsnas dashboard">
<title>tsnas dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
<header><h1>tsnas dashboard</h1><div class="sub"><code>${esc(o.store)}</code> · <span id="live" class="live">connecting…</span></div></header>
<main>
<div id="banner" class="banner" hidden></div>
<section id="runs-section"><h2>Runs</h2>
<table id="runs" class="grid"><thead><tr><th>run</th><th>status</th><th>command</th><th>progress</th><th>started</th><th>elapsed</th></tr></thead><tbody></tbody></table>
</section>
<section id="run-section" hidden>
<h2 id="run-title"></h2><div id="run-meta" class="meta"></div>
<div class="controls">
<label>architecture <input id="f-q" type="search" placeholder="contains…" autocomplete="off"></label>
<label>status <select id="f-status"><option value="">any</option><option value="done">done</option><option value="failed">failed</option></select></label>
<label>rows <select id="f-limit"><option>25</option><option selected>50</option><option>100</option><option>250</option></select></label>
<button id="prev" type="button">‹ prev</button> <span id="page-info"></span> <button id="next" type="button">next ›</button>
</div>
<div class="table-wrap"><table id="trials" class="grid"><thead></thead><tbody></tbody></table></div>
</section>
<div id="charts"></div>
</main>
</body>
</html>
`;
}

export function errorPage(status: number, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tsnas dashboard: error ${status}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/dashboard.css"></head>
<body><header><h1>tsnas dashboard</h1><div class="sub">error ${status}</div></header>
<main><section class="error" id="error"><h2>${status === 503 ? 'The store cannot be read' : 'Error'}</h2><p><code>${esc(message)}</code></p>
${status === 503 ? '<p>The dashboard keeps running; reload this page once the store is readable again.</p>' : ''}</section></main></body></html>
`;
}

export const PAGE_CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #263238; color: #fff; padding: 14px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; font-weight: 600; }
header .sub { color: #b0bec5; font-size: 13px; }
header code { color: #cfd8dc; }
main { padding: 8px 28px 40px; max-width: 1500px; }
section { background: #fff; border: 1px solid #e0e0e0; border-radius: 6px; padding: 12px 18px; margin: 16px 0; }
section h2 { font-size: 16px; margin: 0 0 6px; }
section p.caption { color: #666; font-size: 13px; margin: 0 0 10px; }
.live { font-weight: 600; } .live.open { color: #81c784; } .live.closed, .live.reconnecting { color: #ffb74d; }
.banner { background: #ffebee; color: #b71c1c; border: 1px solid #ef9a9a; border-radius: 6px; padding: 8px 14px; margin-top: 14px; font-size: 13px; }
table.grid { border-collapse: collapse; font-size: 13px; width: 100%; }
table.grid th, table.grid td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid #eee; white-space: nowrap; }
table.grid th { color: #555; font-weight: 600; user-select: none; }
#trials th { cursor: pointer; } #trials th.sorted-asc::after { content: " ▲"; } #trials th.sorted-desc::after { content: " ▼"; }
#trials td.num { font-variant-numeric: tabular-nums; text-align: right; padding-right: 16px; }
#trials td.arch { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
#runs tbody tr { cursor: pointer; } #runs tbody tr:hover, #runs tbody tr.selected { background: #e3f2fd; }
#runs a { color: #1565c0; text-decoration: none; font-weight: 600; }
.table-wrap { overflow-x: auto; }
tr.fresh { animation: fresh 2s ease-out; } @keyframes fresh { from { background: #fff59d; } to { background: transparent; } }
.bar { display: inline-block; width: 120px; height: 8px; background: #eceff1; border-radius: 4px; vertical-align: middle; margin-right: 8px; overflow: hidden; }
.bar > span { display: block; height: 100%; background: #42a5f5; }
.status-done { color: #2e7d32; } .status-failed { color: #c62828; } .status-running { color: #1565c0; } .status-stopped { color: #ef6c00; }
.controls { display: flex; gap: 14px; align-items: center; flex-wrap: wrap; font-size: 13px; margin: 8px 0; }
.controls input, .controls select, .controls button { font: inherit; }
.meta { color: #555; font-size: 13px; } .meta code { font-size: 12px; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
section.error { border-color: #ef9a9a; }
.vega-bind { font-size: 13px; margin-top: 6px; }
`;

/** The page script (runs in the browser; kept as plain ES2020). */
export const PAGE_JS = String.raw`(function () {
'use strict';
var D = {
  ready: false, stream: 'closed', timing: { script: performance.now() }, events: 0, lastEventId: null, seen: {}, errors: [],
  table: { renders: 0, renderedAt: 0, requestedAt: 0, rows: 0, first: null },
  charts: { generation: 0, total: 0, rendered: 0, errors: [], done: false, kinds: [] },
};
window.tsnasDashboard = D;
var S = { runs: [], run: null, sort: 'idx', dir: 'desc', q: '', status: '', offset: 0, limit: 50, page: null, lastRowid: 0 };
var es = null;
var views = {};

function $(id) { return document.getElementById(id); }
function el(tag, props, kids) {
  var e = document.createElement(tag);
  if (props) for (var k in props) { if (k === 'text') e.textContent = props[k]; else if (k === 'cls') e.className = props[k]; else e.setAttribute(k, props[k]); }
  (kids || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
  return e;
}
function api(path) {
  return fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (r) {
    return r.json().catch(function () { return { error: 'HTTP ' + r.status }; }).then(function (j) {
      if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
      return j;
    });
  });
}
function banner(msg) { var b = $('banner'); if (msg) { b.textContent = msg; b.hidden = false; } else b.hidden = true; }
function fmtDur(s) {
  s = Math.max(0, Math.round(s));
  var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
  return h ? h + 'h ' + String(m).padStart(2, '0') + 'm' : m ? m + 'm ' + String(x).padStart(2, '0') + 's' : x + 's';
}
function fmtNum(v) {
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return String(v);
  var a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Math.round(v * 1e4) / 1e4);
}
function fmtTime(iso) { var d = new Date(iso); return isNaN(d) ? iso : d.toLocaleString(); }

// ---- runs ------------------------------------------------------------------------------------
var runsFetchedAt = 0;
function loadRuns() {
  return api('/api/runs').then(function (j) {
    S.runs = j.runs; runsFetchedAt = Date.now();
    if (!D.timing.runs) D.timing.runs = performance.now();
    if (!S.lastRowid) S.lastRowid = j.lastRowid;
    drawRuns();
    banner('');
    return j;
  });
}
function progressCell(r) {
  var p = r.progress, pct = p.total ? Math.min(100, 100 * p.done / p.total) : null;
  var bar = el('span', { cls: 'bar' }, [el('span', { style: 'width:' + (pct === null ? 0 : pct.toFixed(1)) + '%' })]);
  return el('td', null, [pct === null ? null : bar, p.done + (p.total ? ' / ' + p.total : '') + ' ' + p.unit]);
}
function drawRuns() {
  var tb = $('runs').tBodies[0];
  var rows = S.runs.map(function (r) {
    var live = r.status === 'running' ? (Date.now() - runsFetchedAt) / 1000 : 0;
    var tr = el('tr', { 'data-run': r.id }, [
      el('td', null, [el('a', { href: '#run=' + encodeURIComponent(r.id), text: r.id })]),
      el('td', null, [el('span', { cls: 'status-' + r.status, text: r.status })]),
      el('td', { text: r.command + (r.strategy ? ' ' + r.strategy : '') }),
      progressCell(r),
      el('td', { text: fmtTime(r.createdAt) }),
      el('td', { cls: 'elapsed', text: fmtDur(r.elapsedS + live) }),
    ]);
    if (r.id === S.run) tr.className = 'selected';
    tr.addEventListener('click', function (ev) { if (ev.target.tagName !== 'A') location.hash = 'run=' + encodeURIComponent(r.id); });
    return tr;
  });
  tb.replaceChildren.apply(tb, rows);
}
setInterval(function () { if (S.runs.some(function (r) { return r.status === 'running'; })) drawRuns(); }, 1000);

// ---- one run: trial table ----------------------------------------------------------------------
function label(col) {
  if (col.indexOf('objective:') === 0) return col.slice(10);
  if (col.indexOf('score:') === 0) return col.slice(6) + ' (score)';
  return col === 'createdAt' ? 'written' : col;
}
function cellOf(t, col) {
  if (col === 'idx') return t.idx;
  if (col === 'arch') return t.arch;
  if (col === 'status') return t.status;
  if (col === 'createdAt') return fmtTime(t.createdAt);
  if (col.indexOf('objective:') === 0) return t.objectives[col.slice(10)];
  if (col.indexOf('score:') === 0) return t.scores[col.slice(6)];
  return '';
}
var tableBusy = false, tableDirty = false, tableSeq = 0;
function loadTable() {
  if (!S.run) return Promise.resolve();
  if (tableBusy) { tableDirty = true; return Promise.resolve(); }
  tableBusy = true; tableDirty = false;
  var run = S.run, seq = ++tableSeq;
  D.table.requestedAt = performance.now();
  var qs = new URLSearchParams({ offset: S.offset, limit: S.limit, sort: S.sort, dir: S.dir });
  if (S.q) qs.set('q', S.q);
  if (S.status) qs.set('status', S.status);
  return api('/api/runs/' + encodeURIComponent(run) + '/trials?' + qs).then(function (p) {
    if (run === S.run && seq === tableSeq) drawTable(p);
  }, function (e) { banner('trials: ' + e.message); }).then(function () {
    tableBusy = false;
    if (tableDirty) setTimeout(loadTable, 100);
  });
}
function drawTable(p) {
  var prev = S.page, before = {};
  if (prev && prev.run === p.run) prev.rows.forEach(function (r) { before[r.rowid] = true; });
  S.page = p;
  var thead = $('trials').tHead;
  var hr = el('tr', null, p.columns.map(function (c) {
    var th = el('th', { 'data-col': c, text: label(c) });
    if (c === S.sort) th.className = 'sorted-' + S.dir;
    th.addEventListener('click', function () {
      if (S.sort === c) S.dir = S.dir === 'asc' ? 'desc' : 'asc'; else { S.sort = c; S.dir = c === 'idx' || c === 'createdAt' ? 'desc' : 'asc'; }
      S.offset = 0; loadTable();
    });
    return th;
  }));
  thead.replaceChildren(hr);
  var tb = $('trials').tBodies[0];
  var rows = p.rows.map(function (t) {
    var tr = el('tr', { 'data-idx': String(t.idx), 'data-rowid': String(t.rowid) }, p.columns.map(function (c) {
      var v = cellOf(t, c);
      return el('td', { cls: typeof v === 'number' || v === null || v === undefined ? 'num' : c === 'arch' ? 'arch' : '', text: typeof v === 'number' || v == null ? fmtNum(v) : String(v) });
    }));
    if (prev && prev.run === p.run && !before[t.rowid]) tr.className = 'fresh';
    return tr;
  });
  tb.replaceChildren.apply(tb, rows);
  var to = Math.min(p.offset + p.rows.length, p.matched);
  $('page-info').textContent = (p.matched ? (p.offset + 1) + '–' + to : '0') + ' of ' + p.matched.toLocaleString() + (p.matched !== p.total ? ' (of ' + p.total.toLocaleString() + ')' : '') + ' trials';
  $('prev').disabled = p.offset === 0;
  $('next').disabled = p.offset + p.limit >= p.matched;
  D.table.renders++; D.table.rows = p.rows.length; D.table.renderedAt = performance.now();
  D.table.first = p.rows.length ? { idx: p.rows[0].idx, sort: p.sort, dir: p.dir } : null;
}
function selectRun(id) {
  if (S.run !== id) { S.run = id; S.offset = 0; S.sort = 'idx'; S.dir = 'desc'; S.q = ''; S.status = ''; $('f-q').value = ''; $('f-status').value = ''; S.page = null; }
  $('run-section').hidden = !id;
  drawRuns();
  if (!id) return;
  $('run-title').textContent = 'Run ' + id;
  api('/api/runs/' + encodeURIComponent(id)).then(function (r) {
    $('run-meta').replaceChildren(el('code', { text: 'tsnas ' + (r.argv || []).join(' ') }), ' · ', el('span', { cls: 'status-' + r.status, text: r.status }), ' · seed ' + (r.seed === null ? '–' : r.seed));
  }, function (e) { banner(e.message); });
  // The table first: the charts of a large run take the server longer, and should not delay it.
  loadTable().then(function () { loadCharts(true); });
}
function fromHash() {
  var m = /^#run=(.+)$/.exec(location.hash);
  var id = m ? decodeURIComponent(m[1]) : (S.runs[0] && S.runs[0].id) || null;
  selectRun(id);
}
var qTimer = 0;
$('f-q').addEventListener('input', function () { clearTimeout(qTimer); qTimer = setTimeout(function () { S.q = $('f-q').value; S.offset = 0; loadTable(); }, 250); });
$('f-status').addEventListener('change', function () { S.status = $('f-status').value; S.offset = 0; loadTable(); });
$('f-limit').addEventListener('change', function () { S.limit = Number($('f-limit').value); S.offset = 0; loadTable(); });
$('prev').addEventListener('click', function () { S.offset = Math.max(0, S.offset - S.limit); loadTable(); });
$('next').addEventListener('click', function () { S.offset += S.limit; loadTable(); });
window.addEventListener('hashchange', fromHash);

// ---- charts ------------------------------------------------------------------------------------
var vegaReady = null;
function loadScript(src) {
  return new Promise(function (res, rej) { var s = el('script', { src: src }); s.onload = res; s.onerror = function () { rej(new Error('cannot load ' + src)); }; document.head.appendChild(s); });
}
function loadVega() {
  if (!vegaReady) vegaReady = ['vega', 'vega-lite', 'vega-embed', 'vega-interpreter'].reduce(function (p, n) { return p.then(function () { return loadScript('/assets/' + n + '.js'); }); }, Promise.resolve());
  return vegaReady;
}
var chartsBusy = false, chartsDirty = false, chartsTimer = 0, chartsAt = 0;
function scheduleCharts() {
  if (chartsTimer) return;
  var wait = Math.max(300, 3000 - (Date.now() - chartsAt));
  chartsTimer = setTimeout(function () { chartsTimer = 0; loadCharts(false); }, wait);
}
function loadCharts(fresh) {
  var run = S.run;
  if (!run) return;
  if (chartsBusy) { chartsDirty = true; return; }
  chartsBusy = true; chartsDirty = false; chartsAt = Date.now();
  var gen = ++D.charts.generation;
  if (fresh) { Object.keys(views).forEach(function (k) { views[k].finalize(); delete views[k]; }); $('charts').replaceChildren(); }
  D.charts.done = false;
  Promise.all([api('/api/runs/' + encodeURIComponent(run) + '/charts'), loadVega()]).then(function (r) {
    if (run !== S.run) return;
    var charts = r[0].charts, host = $('charts');
    var keep = {};
    D.charts.total = charts.length; D.charts.rendered = 0; D.charts.errors = []; D.charts.kinds = charts.map(function (c) { return c.kind; });
    return Promise.all(charts.map(function (c) {
      keep[c.id] = true;
      var box = $(c.id);
      if (!box) {
        box = el('div', { id: c.id, cls: 'tsnas-chart', 'data-kind': c.kind });
        host.appendChild(el('section', { 'data-kind': c.kind, 'data-chart': c.id }, [el('h2', { text: c.title }), c.caption ? el('p', { cls: 'caption', text: c.caption }) : null, box]));
      } else box.closest('section').querySelector('p.caption') && (box.closest('section').querySelector('p.caption').textContent = c.caption || '');
      var opts = { actions: false, renderer: c.renderer || 'svg', ast: true, expr: window.vegaExpressionInterpreter, defaultStyle: false };
      return vegaEmbed(box, c.spec, opts).then(function (res) {
        if (views[c.id]) views[c.id].finalize();
        views[c.id] = res.view; D.charts.rendered++;
      }, function (e) { D.charts.errors.push(c.id + ': ' + (e && e.message ? e.message : e)); });
    })).then(function () {
      Array.prototype.forEach.call(host.querySelectorAll('section[data-chart]'), function (s) {
        var id = s.getAttribute('data-chart');
        if (!keep[id]) { if (views[id]) { views[id].finalize(); delete views[id]; } s.remove(); }
      });
      if (!charts.length) host.replaceChildren(el('section', null, [el('h2', { text: 'No charts yet' }), el('p', { cls: 'caption', text: 'This run has no trials, per-epoch metrics or curves to plot (yet).' })]));
    });
  }).catch(function (e) { D.charts.errors.push(String(e && e.message || e)); banner('charts: ' + (e && e.message || e)); }).then(function () {
    chartsBusy = false;
    if (gen === D.charts.generation) D.charts.done = true;
    if (chartsDirty) scheduleCharts();
  });
}

// ---- live events -------------------------------------------------------------------------------
var runsTimer = 0;
function scheduleRuns() { if (!runsTimer) runsTimer = setTimeout(function () { runsTimer = 0; loadRuns().catch(function (e) { banner(e.message); }); }, 500); }
function setLive(s) { D.stream = s; var l = $('live'); l.className = 'live ' + s; l.textContent = s === 'open' ? 'live' : s; }
function openStream(after) {
  closeStream();
  var from = after !== undefined ? after : D.lastEventId !== null ? D.lastEventId : S.lastRowid;
  es = new EventSource('/events?after=' + encodeURIComponent(from));
  setLive('connecting');
  es.onopen = function () { setLive('open'); };
  es.onerror = function () { setLive(es && es.readyState === 2 ? 'closed' : 'reconnecting'); };
  es.addEventListener('trial', function (ev) {
    var t = JSON.parse(ev.data);
    D.events++; D.lastEventId = Number(ev.lastEventId);
    (D.seen[t.run] = D.seen[t.run] || []).push(t.idx);
    var r = S.runs.find(function (x) { return x.id === t.run; });
    if (r && r.progress.unit === 'trials') { r.progress.done = Math.max(r.progress.done, t.idx + 1); r.trials = r.progress.done; }
    else scheduleRuns();
    if (t.run === S.run) { loadTable(); scheduleCharts(); }
    drawRunsSoon();
  });
  es.addEventListener('run', function (ev) { var x = JSON.parse(ev.data); scheduleRuns(); if (x.run === S.run) scheduleCharts(); });
  es.addEventListener('metrics', function (ev) { var x = JSON.parse(ev.data); scheduleRuns(); if (x.run === S.run) scheduleCharts(); });
  es.addEventListener('store-error', function (ev) { banner('the store cannot be read: ' + JSON.parse(ev.data).error); });
  es.addEventListener('reset', function () { D.lastEventId = null; S.lastRowid = 0; loadRuns().then(function (j) { S.lastRowid = j.lastRowid; openStream(j.lastRowid); loadTable(); loadCharts(false); }); });
}
function closeStream() { if (es) { es.close(); es = null; } setLive('closed'); }
var drawTimer = 0;
function drawRunsSoon() { if (!drawTimer) drawTimer = setTimeout(function () { drawTimer = 0; drawRuns(); }, 250); }
D.openStream = openStream; D.closeStream = closeStream;

window.addEventListener('error', function (e) { D.errors.push(String(e.message)); });
loadRuns().then(function () { fromHash(); openStream(); D.ready = true; }, function (e) { banner(e.message); D.errors.push(e.message); });
})();
`;
