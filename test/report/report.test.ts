/**
 * `tsnas report` in a real browser: synthetic runs written straight through the Store API (a
 * correlate-like, a differentiable-search-like, a multi-objective-like, a training and a DTB run),
 * each rendered to HTML and opened in headless Chromium (Debian `chromium`, driven by
 * playwright-core): no console errors, no network request, every expected chart drawn with marks.
 * Screenshots go to test-output/report-*.png. Skipped only when Chromium is absent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Store } from '../../src/store/store.js';
import { writeReport, type ChartKind } from '../../src/report/index.js';
import { paretoFrontIndices } from '../../src/objectives/pareto.js';
import { chromiumSkip, openChromium } from '../helpers/chromium.js';
import type { Chromium } from '../../src/deploy/chromium.js';
import { runCli, lastJson } from '../helpers/cli.js';

const skip = chromiumSkip('report browser tests');

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(repo, 'test-output');
const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'];
const EDGES = ['node 1 ← 0', 'node 2 ← 0', 'node 2 ← 1', 'node 3 ← 0', 'node 3 ← 1', 'node 3 ← 2'];

/** A small seeded generator (mulberry32) so the synthetic data is the same every run. */
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

function archOf(ops: string[]): string {
  return `|${ops[0]}~0|+|${ops[1]}~0|${ops[2]}~1|+|${ops[3]}~0|${ops[4]}~1|${ops[5]}~2|`;
}

function randomArch(r: () => number): { text: string; ops: string[] } {
  const ops = Array.from({ length: 6 }, () => NB201_OPS[Math.floor(r() * NB201_OPS.length)]!);
  return { text: archOf(ops), ops };
}

function softmax(v: number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

let dir = '';
let dbPath = '';

function seedStore(): void {
  const s = Store.open(dbPath);
  const r = rng(7);

  // Correlate-like: one trial per architecture with proxy scores and the target accuracy.
  s.createRun({ id: 'corr', command: 'correlate', argv: ['correlate', '--n', '60', '--proxies', 'naswot,params'], config: {}, seed: 0 });
  s.atomically(() => {
    for (let i = 0; i < 60; i++) {
      const a = randomArch(r);
      const convs = a.ops.filter((o) => o.startsWith('nor_conv')).length;
      const acc = 60 + 5 * convs + 6 * r();
      s.putTrial('corr', { idx: i, arch: a.text, status: 'done', scores: { naswot: 1500 + 8 * acc + 40 * r(), params: 0.1 + 0.12 * convs + 0.02 * r() }, objectives: { cifar10_test_acc: acc } });
    }
  });
  s.finishRun('corr', 'done', { n: 60, seed: 0, target: 'cifar10_test_acc', kendall: { naswot: 0.5 }, spearman: { naswot: 0.7 } });

  // Differentiable-search-like: one metrics row per epoch (softmax(α), genotype, accuracies, collapse counts).
  s.createRun({ id: 'darts', command: 'search', argv: ['search', '--strategy', 'darts', '--space', 'nb201'], config: {}, seed: 1 });
  const epochs = 10;
  for (let e = 1; e <= epochs; e++) {
    const alpha = [EDGES.map((_, j) => softmax(NB201_OPS.map((op, k) => (op === 'skip_connect' ? 0.35 * e : op === 'nor_conv_3x3' ? 0.25 * e * (j % 2) : 0.1 * k * Math.sin(j + e)))))];
    const derivedOps = alpha[0]!.map((w) => NB201_OPS[w.indexOf(Math.max(...w))]!);
    const skipCount = derivedOps.filter((o) => o === 'skip_connect').length;
    s.atomically(() =>
      s.putMetrics('darts', 'search', e, {
        epoch: e,
        lr: 0.025,
        archActive: true,
        trainLoss: 2 - 0.1 * e,
        trainAcc: 0.3 + 0.04 * e,
        valLoss: 2.1 - 0.09 * e,
        valAcc: 0.28 + 0.035 * e,
        alpha,
        genotype: archOf(derivedOps),
        skipCount,
        paramFreeCount: skipCount + derivedOps.filter((o) => o === 'none' || o === 'avg_pool_3x3').length,
        bench: { cifar10_test_acc: 94 - 6 * skipCount, cifar100_test_acc: 72 - 8 * skipCount },
        seconds: 1.5,
        strategy: 'darts',
        space: 'nb201',
        ops: NB201_OPS,
        edges: [EDGES],
        cells: ['cell'],
      }),
    );
  }
  s.finishRun('darts', 'done', { genotype: 'x', epochs, strategy: 'darts', space: 'nb201' });

  // Multi-objective-like: one trial per evaluated architecture, the front in the result, the true front in metrics.
  s.createRun({ id: 'moo', command: 'search', argv: ['search', '--strategy', 'nsga2', '--objectives', 'accuracy,latency:pixel3'], config: {}, seed: 2 });
  const pts: number[][] = [];
  const archs: string[] = [];
  s.atomically(() => {
    for (let i = 0; i < 80; i++) {
      const a = randomArch(r);
      const lat = 3 + 10 * r();
      const acc = 94 - 30 / lat - 8 * r();
      pts.push([acc, lat]);
      archs.push(a.text);
      s.putTrial('moo', { idx: i, arch: a.text, status: 'done', scores: { violation: 0 }, objectives: { accuracy: acc, 'latency:pixel3': lat } });
    }
    const truth = Array.from({ length: 12 }, (_, k) => [3 + k * 0.8, 94.5 - 30 / (3 + k * 0.8)] as [number, number]);
    s.putMetrics('moo', 'pareto-true', 0, { x: 'latency:pixel3', y: 'accuracy', points: truth });
  });
  const front = paretoFrontIndices(pts, ['max', 'min']).map((i) => ({ arch: archs[i]!, objectives: { accuracy: pts[i]![0]!, 'latency:pixel3': pts[i]![1]! }, evaluation: i + 1, feasible: true }));
  s.finishRun('moo', 'done', {
    strategy: 'nsga2',
    space: 'nb201',
    objectives: [
      { key: 'accuracy', direction: 'max' },
      { key: 'latency:pixel3', direction: 'min' },
    ],
    pareto: front,
    evaluations: 80,
    budget: 80,
    seed: 2,
    wall_s: 1.2,
  });

  // Training (curves.json in the run directory, as `tsnas train` writes it) and DTB (metrics per architecture).
  const trainDir = join(dir, 'train-run');
  mkdirSync(trainDir, { recursive: true });
  writeFileSync(
    join(trainDir, 'curves.json'),
    JSON.stringify(
      Array.from({ length: 12 }, (_, i) => ({
        epoch: i + 1,
        lr: 0.1,
        train_loss: 2 * Math.exp(-i / 5),
        train_acc: 40 + 4 * i,
        test_loss: 2.1 * Math.exp(-i / 6),
        test_acc: 38 + 3.5 * i,
        epoch_s: 3,
        wall_s: 3 * (i + 1),
        num_tensors: 100,
      })),
    ),
  );
  s.createRun({ id: 'train', command: 'train', argv: ['train', '--out', trainDir], config: {}, seed: 3, outDir: trainDir });
  s.finishRun('train', 'done', { arch: archOf(['nor_conv_3x3', 'nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'skip_connect']) });
  s.createRun({ id: 'dtb', command: 'dtb', argv: ['dtb', 'build', '--archs', '6'], config: {}, seed: 4 });
  s.atomically(() => {
    for (let a = 0; a < 6; a++) {
      const arch = randomArch(r).text;
      const top = 50 + 35 * r();
      for (let e = 1; e <= 8; e++)
        s.putMetrics('dtb', `dtb:${a}`, e, {
          arch,
          train_loss: 2.2 * Math.exp(-e / (3 + a)),
          train_acc: top * (1 - Math.exp(-e / 3)),
          val_loss: 2.3 * Math.exp(-e / (4 + a)),
          val_acc: top * (1 - Math.exp(-e / 3)) - 2,
        });
    }
  });
  s.finishRun('dtb', 'done', { done: 6, total: 6 });

  // A run with nothing to plot.
  s.createRun({ id: 'empty', command: 'score', argv: ['score'], config: {} });
  s.finishRun('empty', 'done', { scores: {} });
  s.close();
}

type Ctx = import('playwright-core').BrowserContext;
let ctx: Ctx | undefined;
let browser: Chromium | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsnas-report-'));
  dbPath = join(dir, 'tsnas.db');
  seedStore();
  if (skip) return;
  browser = await openChromium({ width: 1400, height: 900 });
  ctx = browser.context;
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Rendered {
  errors: string[];
  requests: string[];
  charts: { id: string; kind: string; svgs: number; marks: number }[];
  state: { total: number; rendered: number; errors: string[]; done: boolean };
}

/** Open a report, wait for every chart, count the data marks of each; screenshot it. */
async function render(file: string, shot: string, act?: (page: import('playwright-core').Page) => Promise<void>): Promise<Rendered> {
  const page = await ctx!.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!/^(file|data|blob|about):/.test(r.url())) requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForFunction(() => (window as unknown as { tsnasReport?: { done: boolean } }).tsnasReport?.done === true, undefined, { timeout: 60_000 });
  if (act) await act(page);
  const info = await page.evaluate(() => {
    const charts = [...document.querySelectorAll<HTMLElement>('.tsnas-chart')].map((el) => {
      // Data marks: children of mark groups that are not part of an axis, legend or title.
      const marks = [...el.querySelectorAll('svg g.role-mark > *')].filter((m) => !m.closest('.role-axis, .role-legend, .role-title, .role-axis-grid'));
      return { id: el.id, kind: el.dataset['kind'] ?? '', svgs: el.querySelectorAll('svg').length, marks: marks.length };
    });
    return { charts, state: (window as unknown as { tsnasReport: Rendered['state'] }).tsnasReport };
  });
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`# screenshot: ${shot}`);
  await page.close();
  return { errors, requests, ...info };
}

function check(r: Rendered, expected: ChartKind[], minMarks = 1): void {
  assert.deepEqual(r.errors, [], `console errors: ${r.errors.join(' | ')}`);
  assert.deepEqual(r.requests, [], `the page must not touch the network: ${r.requests.join(', ')}`);
  assert.deepEqual(r.state.errors, []);
  assert.equal(r.state.rendered, r.state.total, 'every chart rendered');
  assert.deepEqual([...new Set(r.charts.map((c) => c.kind))].sort(), [...expected].sort());
  for (const c of r.charts) {
    assert.ok(c.svgs >= 1, `${c.id}: an SVG`);
    assert.ok(c.marks >= minMarks, `${c.id}: ${c.marks} data marks`);
  }
}

const reportOf = (id: string) => {
  const s = Store.open(dbPath);
  try {
    return writeReport(s, id, join(dir, `${id}.html`));
  } finally {
    s.close();
  }
};

test('report: correlate-like run shows proxy-vs-accuracy scatters with tau and rho in the title', { skip }, async () => {
  const w = reportOf('corr');
  assert.equal(w.charts.length, 2);
  for (const c of w.charts) assert.match(JSON.stringify(c.spec), /Kendall τ = -?\d\.\d{3}, Spearman ρ = -?\d\.\d{3}/);
  const html = readFileSync(w.out, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, 'self-contained: no external scripts or stylesheets');
  const r = await render(w.out, join(OUT, 'report-correlate.png'));
  check(r, ['correlation'], 60);
});

test('report: differentiable-search-like run shows α heatmaps over epochs, the slider heatmap, collapse and accuracy', { skip }, async () => {
  const w = reportOf('darts');
  let afterSlide = -1;
  const r = await render(w.out, join(OUT, 'report-diff-search.png'), async (page) => {
    // Move the epoch slider to the first epoch: the heatmap re-renders without errors.
    const slider = page.locator('#chart-alpha-slider input[type=range]');
    await slider.evaluate((el: HTMLInputElement) => {
      el.value = el.min;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForTimeout(200);
    afterSlide = await page.locator('#chart-alpha-slider svg g.mark-rect.role-mark > path').count();
  });
  check(r, ['alpha-epochs', 'alpha-slider', 'collapse', 'search-accuracy']);
  const heat = r.charts.find((c) => c.kind === 'alpha-epochs')!;
  assert.ok(heat.marks >= 10 * 6 * 5, `one cell per epoch × edge × op (${heat.marks})`);
  assert.equal(afterSlide, 6 * 5, 'slider heatmap: one cell per edge × op');
});

test('report: multi-objective-like run shows the Pareto front with the true NB201 front', { skip }, async () => {
  const w = reportOf('moo');
  const spec = JSON.stringify(w.charts[0]!.spec);
  assert.match(spec, /true front \(NB201\)/);
  const r = await render(w.out, join(OUT, 'report-moo.png'));
  check(r, ['pareto'], 80);
});

test('report: training curves (from the run directory) and DTB curves (from metrics)', { skip }, async () => {
  check(await render(reportOf('train').out, join(OUT, 'report-train.png')), ['train-curves']);
  check(await render(reportOf('dtb').out, join(OUT, 'report-dtb.png')), ['dtb-curves']);
});

test('report: a run without plottable data gives a page without charts; tsnas report CLI and its errors', { skip }, async () => {
  const out = join(dir, 'cli', 'empty.html');
  const res = await runCli(['report', 'empty', '--store', dbPath, '--out', out, '--json']);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(lastJson(res.stdout)['charts'], []);
  check(await render(out, join(OUT, 'report-empty.png')), []);
  const cli = await runCli(['report', 'moo', '--store', dbPath, '--out', join(dir, 'cli', 'moo.html'), '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(
    (lastJson(cli.stdout)['charts'] as { kind: string }[]).map((c) => c.kind),
    ['pareto'],
  );
  const missing = await runCli(['report', 'nope', '--store', dbPath, '--out', join(dir, 'x.html')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no run 'nope'/);
  const noStore = await runCli(['report', 'x', '--store', join(dir, 'absent.db')]);
  assert.notEqual(noStore.code, 0);
  assert.match(noStore.stderr, /no experiment store/);
});
