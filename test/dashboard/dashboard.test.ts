/**
 * `tsnas dashboard`: plain HTTP checks (GET only, no path traversal, the token on a non-local
 * bind, the Host check, an error page for a corrupt or locked store, Last-Event-ID resumption) and
 * the page in headless Chromium (Debian `chromium`, driven by playwright-core, as the report tests):
 * a trial written by another process appears within 2 s, closing and reopening the event stream
 * (and a server-side drop) loses no trial, a 15,625-trial run's table renders and sorts (times
 * printed; recorded in docs/benchmarks/dashboard.md), and the Pareto front and α heatmaps draw
 * their marks, with no console error and no request to another origin. The browser tests are
 * skipped only when Chromium is absent. TSNAS_UPDATE_DOCS=1 also writes docs/dashboard.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/store.js';
import { startDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { paretoFrontIndices } from '../../src/objectives/pareto.js';
import { chromiumSkip, openChromium } from '../helpers/chromium.js';
import type { Chromium } from '../../src/deploy/chromium.js';
import { runCli } from '../helpers/cli.js';

const skip = chromiumSkip('dashboard browser tests');

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(repo, 'test-output');
const OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'];
const EDGES = ['node 1 ← 0', 'node 2 ← 0', 'node 2 ← 1', 'node 3 ← 0', 'node 3 ← 1', 'node 3 ← 2'];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const archOf = (o: string[]) => `|${o[0]}~0|+|${o[1]}~0|${o[2]}~1|+|${o[3]}~0|${o[4]}~1|${o[5]}~2|`;
/** The i-th NB201 architecture (5^6 = 15,625 of them). */
function nthArch(i: number): string[] {
  return Array.from({ length: 6 }, (_, k) => OPS[Math.floor(i / 5 ** k) % 5]!);
}
function fakeObjectives(ops: string[], r: () => number): { accuracy: number; params: number } {
  const convs = ops.filter((o) => o.startsWith('nor_conv')).length;
  return { accuracy: 70 + 4 * convs - 3 * ops.filter((o) => o === 'none').length + 5 * r(), params: 0.07 + 0.15 * convs + 0.01 * r() };
}
function softmax(v: number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

let dir = '';
let dbPath = '';
let dash: Dashboard;

function seedStore(): void {
  const s = Store.open(dbPath);
  const r = rng(11);
  // A finished multi-objective run with its front and the true front.
  s.createRun({
    id: 'moo',
    command: 'search',
    argv: ['search', 'nsga2', '--budget', '80', '--objectives', 'accuracy,params'],
    config: { strategy: 'nsga2', budget: 80, objectives: 'accuracy,params', space: 'nb201' },
    seed: 2,
  });
  const pts: number[][] = [];
  const archs: string[] = [];
  s.atomically(() => {
    for (let i = 0; i < 80; i++) {
      const ops = nthArch(Math.floor(r() * 15625));
      const o = fakeObjectives(ops, r);
      pts.push([o.accuracy, o.params]);
      archs.push(archOf(ops));
      s.putTrial('moo', { idx: i, arch: archOf(ops), status: 'done', scores: { violation: 0 }, objectives: o });
    }
    s.putMetrics('moo', 'pareto-true', 0, { x: 'params', y: 'accuracy', points: Array.from({ length: 10 }, (_, k) => [0.07 + 0.15 * (k * 0.6), 78 + 4 * k * 0.6]) });
  });
  const front = paretoFrontIndices(pts, ['max', 'min']).map((i) => ({ arch: archs[i]!, objectives: { accuracy: pts[i]![0]!, params: pts[i]![1]! }, feasible: true }));
  s.finishRun('moo', 'done', {
    strategy: 'nsga2',
    space: 'nb201',
    objectives: [
      { key: 'accuracy', direction: 'max' },
      { key: 'params', direction: 'min' },
    ],
    pareto: front,
    evaluations: 80,
    budget: 80,
  });

  // A differentiable search: softmax(α) per epoch in metrics.
  s.createRun({ id: 'darts', command: 'search', argv: ['search', 'darts', '--epochs', '8'], config: { strategy: 'darts', epochs: 8, space: 'nb201' }, seed: 1 });
  for (let e = 1; e <= 8; e++) {
    const alpha = [EDGES.map((_, j) => softmax(OPS.map((op, k) => (op === 'skip_connect' ? 0.3 * e : op === 'nor_conv_3x3' ? 0.25 * e * (j % 2) : 0.1 * k * Math.sin(j + e)))))];
    const derived = alpha[0]!.map((w) => OPS[w.indexOf(Math.max(...w))]!);
    const skipCount = derived.filter((o) => o === 'skip_connect').length;
    s.putMetrics('darts', 'search', e, {
      epoch: e,
      trainAcc: 0.3 + 0.04 * e,
      valAcc: 0.28 + 0.035 * e,
      alpha,
      genotype: archOf(derived),
      skipCount,
      paramFreeCount: skipCount,
      strategy: 'darts',
      space: 'nb201',
      ops: OPS,
      edges: [EDGES],
      cells: ['cell'],
    });
  }
  s.finishRun('darts', 'done', { genotype: 'x', epochs: 8, strategy: 'darts', space: 'nb201' });

  // Every NB201 architecture once: 15,625 trials.
  s.createRun({
    id: 'big',
    command: 'search',
    argv: ['search', 'random', '--budget', '15625', '--objectives', 'accuracy,params'],
    config: { strategy: 'random', budget: 15625, objectives: 'accuracy,params', space: 'nb201' },
    seed: 3,
  });
  s.atomically(() => {
    for (let i = 0; i < 15625; i++) {
      const ops = nthArch(i);
      s.putTrial('big', { idx: i, arch: archOf(ops), status: i % 97 === 5 ? 'failed' : 'done', scores: { naswot: 1500 + 10 * r() }, objectives: fakeObjectives(ops, r) });
    }
  });
  s.finishRun('big', 'done', { strategy: 'random', space: 'nb201', budget: 15625 });

  // A run still searching: trials arrive while the page is open.
  s.createRun({
    id: 'live',
    command: 'search',
    argv: ['search', 'random', '--budget', '200', '--objectives', 'accuracy,params'],
    config: { strategy: 'random', budget: 200, objectives: 'accuracy,params', space: 'nb201' },
    seed: 4,
  });
  s.atomically(() => {
    for (let i = 0; i < 5; i++) {
      const ops = nthArch(i * 31);
      s.putTrial('live', { idx: i, arch: archOf(ops), status: 'done', scores: {}, objectives: fakeObjectives(ops, r) });
    }
  });
  s.close();
}

/** Write trials [from, from + count) of a run from another process (the Store API), one every `delayMs`. */
function writeFromChild(from: number, count: number, delayMs: number, onWrote?: (idx: number, at: number) => void): Promise<void> {
  const script = join(dir, 'writer.mts');
  if (!existsSync(script)) {
    writeFileSync(
      script,
      `
import { Store } from ${JSON.stringify(pathToFileURL(join(repo, 'src/store/store.ts')).href)};
const [db, run, from, count, delay] = process.argv.slice(2);
const s = Store.open(db);
const OPS = ${JSON.stringify(OPS)};
for (let i = Number(from); i < Number(from) + Number(count); i++) {
  const ops = Array.from({ length: 6 }, (_, k) => OPS[Math.floor((i * 7919) / 5 ** k) % 5]);
  s.putTrial(run, { idx: i, arch: '|' + ops[0] + '~0|+|' + ops[1] + '~0|' + ops[2] + '~1|+|' + ops[3] + '~0|' + ops[4] + '~1|' + ops[5] + '~2|', status: 'done', scores: {}, objectives: { accuracy: 80 + (i % 13), params: 0.1 + (i % 7) / 10 } });
  process.stdout.write('wrote ' + i + ' ' + Date.now() + '\\n');
  await new Promise((r) => setTimeout(r, Number(delay)));
}
s.close();
`,
    );
  }
  return new Promise((resolveRun, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script, dbPath, 'live', String(from), String(count), String(delayMs)], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let buf = '';
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const m = /^wrote (\d+) (\d+)$/.exec(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (m) onWrote?.(Number(m[1]), Number(m[2]));
      }
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`writer exited ${code}: ${err}`))));
  });
}

/** A raw HTTP GET (or other method): the path goes out exactly as given (fetch would normalise `..`). */
function raw(
  port: number,
  path: string,
  o: { method?: string; host?: string; headers?: Record<string, string>; hostname?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolveReq, reject) => {
    const req = request({ hostname: o.hostname ?? '127.0.0.1', port, path, method: o.method ?? 'GET', headers: { ...(o.host ? { host: o.host } : {}), ...o.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolveReq({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

type Ctx = import('playwright-core').BrowserContext;
type Page = import('playwright-core').Page;
let ctx: Ctx | undefined;
let browser: Chromium | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsnas-dashboard-'));
  dbPath = join(dir, 'tsnas.db');
  seedStore();
  dash = await startDashboard({ store: dbPath, port: 0 });
  if (skip) return;
  browser = await openChromium({ width: 1280, height: 900 });
  ctx = browser.context;
});

after(async () => {
  await browser?.close();
  await dash?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Watched {
  page: Page;
  errors: string[];
  foreign: string[];
}

async function open(hash: string, base = `http://127.0.0.1:${dash.port}`): Promise<Watched> {
  const page = await ctx!.newPage();
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !/^(data|blob|about):/.test(r.url())) foreign.push(r.url());
  });
  await page.goto(`${base}/${hash}`, { waitUntil: 'load' });
  await page.waitForFunction(() => ((window as unknown as { tsnasDashboard?: { ready: boolean; table: { renders: number } } }).tsnasDashboard?.table.renders ?? 0) >= 1, undefined, {
    timeout: 20_000,
  });
  return { page, errors, foreign };
}

const state = <T>(page: Page, expr: string): Promise<T> => page.evaluate(expr) as Promise<T>;

function clean(w: Watched): void {
  assert.deepEqual(w.errors, [], `console errors: ${w.errors.join(' | ')}`);
  assert.deepEqual(w.foreign, [], `the page fetches nothing from elsewhere: ${w.foreign.join(', ')}`);
}

async function chartMarks(page: Page): Promise<Record<string, number>> {
  await page.waitForFunction(() => (window as unknown as { tsnasDashboard: { charts: { done: boolean } } }).tsnasDashboard.charts.done === true, undefined, { timeout: 60_000 });
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const el of document.querySelectorAll<HTMLElement>('.tsnas-chart')) {
      out[el.id] = [...el.querySelectorAll('svg g.role-mark > *')].filter((m) => !m.closest('.role-axis, .role-legend, .role-title, .role-axis-grid')).length;
    }
    return out;
  });
}

test('dashboard HTTP: only GET, a fixed list of assets (traversal is a 404), CSP, Host check', async () => {
  const p = dash.port;
  const page = await raw(p, '/', { headers: { accept: 'text/html' } });
  assert.equal(page.status, 200);
  const csp = String(page.headers['content-security-policy']);
  assert.match(csp, /default-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-eval/);
  assert.equal((await raw(p, '/assets/dashboard.js')).status, 200);
  assert.match((await raw(p, '/assets/vega-interpreter.js')).body, /window\.vegaExpressionInterpreter = expression/);
  for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']) {
    const r = await raw(p, '/api/runs', { method: m });
    assert.equal(r.status, 405, m);
    if (m !== 'HEAD') assert.equal(r.headers['allow'], 'GET');
  }
  for (const path of [
    '/assets/../../package.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    '/../package.json',
    '/assets/..\\..\\package.json',
    '/package.json',
    `/assets/${encodeURIComponent(dbPath)}`,
    '/assets/',
    '/assets/constructor',
    '/assets/__proto__',
    '/etc/passwd',
    '//etc/passwd',
  ]) {
    const r = await raw(p, path);
    assert.equal(r.status, 404, path);
    assert.doesNotMatch(r.body, /"name": ?"tsnas"|root:/);
  }
  assert.equal((await raw(p, '/api/runs/nope/trials')).status, 404);
  assert.equal((await raw(p, '/api/runs/big/trials?sort=objective:nope')).status, 400);
  assert.equal((await raw(p, '/api/runs/big/trials?limit=100000')).status, 400);
  assert.equal((await raw(p, `/api/runs/big/trials?sort=${encodeURIComponent('idx);DROP TABLE trials;--')}`)).status, 400);
  assert.equal((await raw(p, '/', { host: 'evil.example:80' })).status, 403, 'a foreign Host header (DNS rebinding) is refused');
  const trials = JSON.parse((await raw(p, '/api/runs/big/trials?q=nor_conv_3x3~0&status=done&limit=5&sort=objective:accuracy&dir=desc')).body) as {
    matched: number;
    total: number;
    rows: { arch: string; objectives: { accuracy: number } }[];
  };
  assert.equal(trials.total, 15625);
  assert.ok(trials.matched < trials.total && trials.matched > 0);
  assert.ok(trials.rows.every((t) => t.arch.includes('nor_conv_3x3~0')));
  const acc = trials.rows.map((t) => t.objectives.accuracy);
  assert.deepEqual(
    acc,
    [...acc].sort((a, b) => b - a),
  );
  const runs = JSON.parse((await raw(p, '/api/runs')).body) as { runs: { id: string; progress: { done: number; total: number | null; unit: string } }[] };
  assert.deepEqual(runs.runs.find((r) => r.id === 'big')!.progress, { done: 15625, total: 15625, unit: 'trials' });
  assert.deepEqual(runs.runs.find((r) => r.id === 'darts')!.progress, { done: 8, total: 8, unit: 'epochs' });
});

test('dashboard HTTP: a non-local bind requires the token on every request', async () => {
  const d = await startDashboard({ store: dbPath, host: '127.0.0.2', port: 0 });
  try {
    assert.ok(d.tokenGenerated && d.token && d.token.length >= 16);
    assert.match(d.url, /^http:\/\/127\.0\.0\.2:\d+\/\?token=/);
    const o = { hostname: '127.0.0.2' };
    for (const path of ['/', '/api/runs', '/events', '/assets/dashboard.js']) {
      const r = await raw(d.port, path, { ...o, headers: { accept: 'text/html' } });
      assert.equal(r.status, 401, path);
      assert.doesNotMatch(r.body, /tsnas-chart|"runs"/);
    }
    assert.equal((await raw(d.port, '/api/runs', { ...o, headers: { authorization: 'Bearer wrong-token-000' } })).status, 403);
    assert.equal((await raw(d.port, '/api/runs?token=wrong-token-000', o)).status, 403);
    assert.equal((await raw(d.port, '/api/runs', { ...o, headers: { authorization: `Bearer ${d.token}` } })).status, 200);
    const login = await raw(d.port, `/?token=${encodeURIComponent(d.token!)}`, o);
    assert.equal(login.status, 303);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    assert.match(String(login.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
    assert.equal((await raw(d.port, '/api/runs', { ...o, headers: { cookie } })).status, 200);
    assert.equal((await raw(d.port, '/api/runs', { ...o, method: 'POST', headers: { cookie } })).status, 405);
    await assert.rejects(startDashboard({ store: dbPath, host: '127.0.0.2', port: 0, token: 'short' }), /at least 8/);
  } finally {
    await d.close();
  }
});

test('dashboard HTTP: a corrupt or locked store gives an error page, and the server goes on', async () => {
  const bad = join(dir, 'corrupt.db');
  writeFileSync(bad, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096, 0x5a)]));
  const d = await startDashboard({ store: bad, port: 0 });
  try {
    for (let k = 0; k < 2; k++) {
      const r = await raw(d.port, '/', { headers: { accept: 'text/html' } });
      assert.equal(r.status, 503);
      assert.match(r.body, /The store cannot be read/);
      assert.match(String(r.headers['content-type']), /text\/html/);
      const j = await raw(d.port, '/api/runs');
      assert.equal(j.status, 503);
      assert.match(JSON.parse(j.body).error, /store/);
    }
  } finally {
    await d.close();
  }
  // Locked: another connection holds an exclusive lock (rollback journal) on a copy of the store.
  const locked = join(dir, 'locked.db');
  const src = new Database(dbPath, { readonly: true });
  await src.backup(locked);
  src.close();
  const holder = new Database(locked);
  holder.pragma('journal_mode = DELETE');
  holder.exec('BEGIN EXCLUSIVE');
  const d2 = await startDashboard({ store: locked, port: 0 });
  try {
    const r = await raw(d2.port, '/api/runs');
    assert.equal(r.status, 503);
    assert.match(JSON.parse(r.body).error, /locked|busy/i);
    holder.exec('ROLLBACK');
    assert.equal((await raw(d2.port, '/api/runs')).status, 200, 'readable again once the lock is gone');
  } finally {
    holder.close();
    await d2.close();
  }
  const cli = await runCli(['dashboard', '--store', join(dir, 'absent.db')]);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /no experiment store/);
});

test('dashboard events: Last-Event-ID resumes after the last trial seen, per run or for all', async () => {
  const first = JSON.parse((await raw(dash.port, '/api/runs/live/trials?limit=500')).body) as { rows: { rowid: number; idx: number }[] };
  const minRowid = Math.min(...first.rows.map((r) => r.rowid));
  const events = await new Promise<{ id: number; run: string; idx: number }[]>((resolveEv, reject) => {
    const got: { id: number; run: string; idx: number }[] = [];
    const req = request({ hostname: '127.0.0.1', port: dash.port, path: '/events?run=live', headers: { 'last-event-id': String(minRowid - 1) } }, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        for (const block of buf.split('\n\n').slice(0, -1)) {
          const id = /^id: (\d+)$/m.exec(block);
          const data = /^data: (.*)$/m.exec(block);
          if (id && data && /^event: trial$/m.test(block)) got.push({ id: Number(id[1]), ...(JSON.parse(data[1]!) as { run: string; idx: number }) });
        }
        buf = buf.slice(buf.lastIndexOf('\n\n') + 2);
        if (got.length >= first.rows.length) {
          req.destroy();
          resolveEv(got);
        }
      });
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    req.end();
    setTimeout(() => reject(new Error(`timeout: ${got.length} events`)), 5000).unref();
  });
  assert.ok(events.every((e) => e.run === 'live'));
  assert.deepEqual(
    events.map((e) => e.id),
    [...events.map((e) => e.id)].sort((a, b) => a - b),
  );
  assert.deepEqual(new Set(events.map((e) => e.idx)), new Set(first.rows.map((r) => r.idx)));
});

test('dashboard page: a trial written by another process appears within 2 s; closing and reopening the stream loses none', { skip, timeout: 120_000 }, async () => {
  const w = await open('#run=live');
  const { page } = w;
  await page.waitForFunction(() => (window as unknown as { tsnasDashboard: { stream: string } }).tsnasDashboard.stream === 'open', undefined, { timeout: 10_000 });
  // Live: each trial the child writes must show in the table within 2 s of its commit.
  const latencies: number[] = [];
  const waits: Promise<void>[] = [];
  await writeFromChild(5, 4, 400, (idx, at) => {
    waits.push(
      page.waitForSelector(`#trials tbody tr[data-idx="${idx}"]`, { timeout: 2000 }).then(() => {
        latencies.push(Date.now() - at);
      }),
    );
  });
  await Promise.all(waits);
  console.log(`# live trial latency (commit in another process -> row on the page): ${latencies.map((l) => `${l} ms`).join(', ')}`);
  assert.equal(latencies.length, 4);
  // The runs table follows: progress of the live run counts the new trials.
  await page.waitForFunction(() => (document.querySelector('#runs tr[data-run="live"]')?.textContent ?? '').includes('9 / 200 trials'), undefined, { timeout: 3000 });

  // Closed stream: trials written meanwhile arrive once it is reopened (resuming after the last event id).
  await page.evaluate(() => (window as unknown as { tsnasDashboard: { closeStream(): void } }).tsnasDashboard.closeStream());
  await writeFromChild(9, 15, 0);
  await page.evaluate(() => (window as unknown as { tsnasDashboard: { openStream(): void } }).tsnasDashboard.openStream());
  await page.waitForFunction(() => ((window as unknown as { tsnasDashboard: { seen: Record<string, number[]> } }).tsnasDashboard.seen['live'] ?? []).includes(23), undefined, { timeout: 5000 });
  // Dropped by the server: the browser reconnects by itself with Last-Event-ID.
  dash.dropStreams();
  await writeFromChild(24, 10, 0);
  await page.waitForFunction(() => ((window as unknown as { tsnasDashboard: { seen: Record<string, number[]> } }).tsnasDashboard.seen['live'] ?? []).includes(33), undefined, { timeout: 8000 });
  await page.waitForTimeout(700);
  const seen = await state<number[]>(page, "window.tsnasDashboard.seen['live']");
  assert.deepEqual(
    seen,
    Array.from({ length: 29 }, (_, i) => i + 5),
    'every trial once, in order, across a close/reopen and a server-side drop',
  );
  await page.waitForSelector('#trials tbody tr[data-idx="33"]', { timeout: 3000 });
  // the charts refresh at most every 3 s after new trials: wait for the refresh that has them all
  await page
    .waitForFunction(
      () => [...document.querySelectorAll('#chart-pareto svg g.role-mark > *')].filter((m) => !m.closest('.role-axis, .role-legend, .role-title, .role-axis-grid')).length >= 30,
      undefined,
      { timeout: 10_000 },
    )
    .catch(() => undefined);
  const marks = await chartMarks(page);
  assert.ok(marks['chart-pareto']! >= 30, `live Pareto front of the stored trials (${marks['chart-pareto']} marks)`);
  assert.ok(marks['chart-best-history']! >= 2);
  clean(w);
  await page.close();
});

test('dashboard page: a 15,625-trial run renders its first page and sorts by a column (timed)', { skip, timeout: 120_000 }, async () => {
  const times: Record<string, number> = {};
  for (let rep = 0; rep < 3; rep++) {
    const w = await open('#run=big');
    const { page } = w;
    await page.waitForFunction(() => (window as unknown as { tsnasDashboard: { table: { rows: number } } }).tsnasDashboard.table.rows === 50);
    const first = await state<number>(page, 'window.tsnasDashboard.table.renderedAt');
    const tm = await state<{ script: number; runs: number }>(page, 'window.tsnasDashboard.timing');
    console.log(
      `# 15,625-trial run, load ${rep}: page script starts ${tm.script.toFixed(0)} ms, runs listed ${tm.runs.toFixed(0)} ms, first page requested ${(await state<number>(page, 'window.tsnasDashboard.table.requestedAt')).toFixed(0)} ms, rendered ${first.toFixed(0)} ms after navigation start`,
    );
    assert.equal(await page.locator('#trials tbody tr').count(), 50);
    assert.match((await page.locator('#page-info').textContent()) ?? '', /1–50 of 15,625 trials/);
    // Sort by accuracy: ascending on the first click, descending on the second.
    const sortOnce = async (): Promise<number> => {
      const t0 = await page.evaluate(() => {
        const D = (window as unknown as { tsnasDashboard: { table: { renders: number } } }).tsnasDashboard;
        (window as unknown as { __r: number }).__r = D.table.renders;
        const t = performance.now();
        document.querySelector<HTMLElement>('#trials th[data-col="objective:accuracy"]')!.click();
        return t;
      });
      await page.waitForFunction(
        () => (window as unknown as { tsnasDashboard: { table: { renders: number } }; __r: number }).tsnasDashboard.table.renders > (window as unknown as { __r: number }).__r,
      );
      return (await state<number>(page, 'window.tsnasDashboard.table.renderedAt')) - t0;
    };
    const asc = await sortOnce();
    const desc = await sortOnce();
    const col = await page.evaluate(() => {
      const i = [...document.querySelectorAll('#trials th')].findIndex((th) => th.getAttribute('data-col') === 'objective:accuracy');
      return [...document.querySelectorAll('#trials tbody tr')].map((tr) => Number(tr.children[i]!.textContent));
    });
    assert.deepEqual(
      col,
      [...col].sort((a, b) => b - a),
      'descending accuracy',
    );
    assert.equal(await page.locator('#trials th.sorted-desc').getAttribute('data-col'), 'objective:accuracy');
    // Filter and page.
    await page.fill('#f-q', 'nor_conv_3x3~0|+|nor_conv_3x3~0');
    await page.waitForFunction(() => /of 625 \(of 15,625\) trials/.test(document.querySelector('#page-info')!.textContent ?? ''));
    await page.click('#next');
    await page.waitForFunction(() => /^51–100 of 625/.test(document.querySelector('#page-info')!.textContent ?? ''));
    if (rep > 0) {
      // The first load also compiles the page's script and warms the store's pages; report warm ones too.
      times[`first page (warm, run ${rep})`] = first;
      times[`sort asc (run ${rep})`] = asc;
      times[`sort desc (run ${rep})`] = desc;
    } else {
      times['first page (first load)'] = first;
      times['sort asc (first)'] = asc;
      times['sort desc (first)'] = desc;
    }
    if (rep === 0) {
      await chartMarks(page);
      clean(w);
    }
    await page.close();
  }
  const t0 = performance.now();
  await raw(dash.port, '/api/runs/big/trials?sort=objective:accuracy&dir=desc&limit=50');
  times['API sort by accuracy (server, node client)'] = performance.now() - t0;
  for (const [k, v] of Object.entries(times)) console.log(`# 15,625-trial run: ${k}: ${v.toFixed(0)} ms`);
});

test('dashboard page: the Pareto front and the α heatmaps render with the expected marks', { skip, timeout: 120_000 }, async () => {
  const moo = await open('#run=moo');
  const m = await chartMarks(moo.page);
  assert.equal(await state<string[]>(moo.page, 'window.tsnasDashboard.charts.errors.length'), 0);
  assert.ok(m['chart-pareto']! >= 80 + 10, `every evaluated point and the true front (${m['chart-pareto']})`);
  const series = await moo.page.locator('#chart-pareto .role-legend').textContent();
  assert.match(series ?? '', /true front \(NB201\)/);
  assert.match(series ?? '', /found front/);
  assert.ok(m['chart-best-history']! >= 2);
  assert.ok(m['chart-parallel']! >= 1, 'parallel coordinates of the NB201 decisions');
  mkdirSync(OUT, { recursive: true });
  const shot = join(OUT, 'dashboard.png');
  // A compact view for the README: 12 rows, zoomed out so the charts show below the table.
  await moo.page.selectOption('#f-limit', '25');
  await moo.page.waitForFunction(() => document.querySelectorAll('#trials tbody tr').length === 25);
  await moo.page.setViewportSize({ width: 1000, height: 900 });
  await moo.page.evaluate(() => document.body.style.setProperty('zoom', '0.6'));
  await moo.page.waitForTimeout(300);
  await moo.page.screenshot({ path: shot, fullPage: false });
  console.log(`# screenshot: ${shot} (${statSync(shot).size} bytes)`);
  if (process.env['TSNAS_UPDATE_DOCS'] === '1') copyFileSync(shot, join(repo, 'docs', 'dashboard.png'));
  clean(moo);
  await moo.page.close();

  const darts = await open('#run=darts');
  const d = await chartMarks(darts.page);
  assert.ok(d['chart-alpha-epochs']! >= 8 * 6 * 5, `one cell per epoch × edge × op (${d['chart-alpha-epochs']})`);
  assert.equal(await darts.page.locator('#chart-alpha-slider svg g.mark-rect.role-mark > path').count(), 6 * 5);
  assert.ok(d['chart-collapse']! >= 1);
  // The slider heatmap's expression filter runs under the CSP (vega-interpreter, no eval).
  await darts.page.locator('#chart-alpha-slider input[type=range]').evaluate((el: HTMLInputElement) => {
    el.value = el.min;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await darts.page.waitForTimeout(200);
  assert.equal(await darts.page.locator('#chart-alpha-slider svg g.mark-rect.role-mark > path').count(), 6 * 5);
  assert.match((await darts.page.locator('#runs tr[data-run="darts"]').textContent()) ?? '', /8 \/ 8 epochs/);
  clean(darts);
  await darts.page.close();
});

test('dashboard page: on a non-local bind the page works with the token and is refused without it', { skip, timeout: 60_000 }, async () => {
  const d = await startDashboard({ store: dbPath, host: '127.0.0.2', port: 0 });
  try {
    const base = `http://127.0.0.2:${d.port}`;
    const bare = await ctx!.newPage();
    const r = await bare.goto(`${base}/`);
    assert.equal(r?.status(), 401);
    await bare.close();
    const w = await open(`?token=${encodeURIComponent(d.token!)}#run=moo`, base);
    assert.equal(await w.page.locator('#trials tbody tr').count(), 50);
    await w.page.waitForFunction(() => (window as unknown as { tsnasDashboard: { stream: string } }).tsnasDashboard.stream === 'open');
    assert.equal(new URL(w.page.url()).search, '', 'the token leaves the address bar');
    clean({ ...w, errors: w.errors.filter((e) => !/401/.test(e)) });
    await w.page.close();
  } finally {
    await d.close();
  }
});
