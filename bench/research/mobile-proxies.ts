/**
 * Training-free proxies against trained accuracy on the `mobile` space (issue 20): n seeded, distinct
 * `mobile` architectures, each trained with one recipe on the CIFAR-10 subset loaded as an image
 * folder and scored with NASWOT, DAS, params and FLOPs; Kendall τ (and Spearman ρ) of every score
 * against the trained accuracy, with 95 % paired-bootstrap intervals (correlateScores).
 *
 *   TSNAS_THREADS=1 npx tsx bench/research/mobile-proxies.ts [--n 50] [--seed 0] [--train-seed S] [--folder DIR]
 *     [--out results/mobile/proxies.jsonl] [--image-size 16] [--train 2000] [--val 1000] [--epochs 2]
 *     [--batch 64] [--score-batch 128] [--shard k/m] [--reverse] [--analyse]
 *
 * Training is the `accuracy:trained` objective's (trainedAccuracyHook: the space's recipe at the given
 * epochs and batch, validation images held out of the training folder, every network from the same
 * seed; `--train-seed` changes that seed, its held-out images included, and keeps the draw of
 * architectures: a second pass with another training seed shows how well the recipe ranks). Scoring is `tsnas score`'s (scoreArch) on a batch of the same training images at the same size.
 * One JSON line per architecture is appended to --out as soon as it is done, so an interrupted run
 * resumes where it stopped and `--analyse` recomputes the statistics without training; a line made
 * with another recipe is refused. `--shard k/m` takes the architectures i ≡ k (mod m), so m processes
 * can share one file (each appends whole lines); a process skips what another has written meanwhile, and
 * `--reverse` walks its list from the end (a helper joining late). The statistics cover every
 * architecture of the file (the first line where two processes did the same one). The folder (default /tmp/tsnas-c10-folder) is written from the
 * binary subset on first use, outside the repository.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { initBackend } from '../../src/engine/backend.js';
import { loadTrainSplit } from '../../src/train/data.js';
import { trainedAccuracyHook, type TrainedAccuracyPreset } from '../../src/objectives/trained.js';
import { correlateScores } from '../../src/proxies/correlation.js';
import { scoreArch } from '../../src/proxies/index.js';
import { parseArch, sampleArch, type AnyArch } from '../../src/spaces/index.js';
import { TsnasError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { mean, quantile, std } from '../../src/util/stats.js';
import { writeCifar10Folder } from './cifar10-folder.js';
import { readJsonl } from './jsonl.js';

const { values: a } = parseArgs({
  options: {
    n: { type: 'string', default: '50' },
    seed: { type: 'string', default: '0' },
    'train-seed': { type: 'string' },
    folder: { type: 'string', default: '/tmp/tsnas-c10-folder' },
    out: { type: 'string', default: 'results/mobile/proxies.jsonl' },
    'image-size': { type: 'string', default: '16' },
    train: { type: 'string', default: '2000' },
    val: { type: 'string', default: '1000' },
    epochs: { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
    'score-batch': { type: 'string', default: '128' },
    shard: { type: 'string', default: '0/1' },
    reverse: { type: 'boolean', default: false },
    analyse: { type: 'boolean', default: false },
  },
});
const n = Number(a.n);
const seed = Number(a.seed);
const trainSeed = a['train-seed'] !== undefined ? Number(a['train-seed']) : seed;
const out = a.out!;
const [shard, shards] = a.shard!.split('/').map(Number) as [number, number];
if (!(Number.isInteger(shard) && Number.isInteger(shards) && shard >= 0 && shard < shards)) throw new TsnasError(`--shard must be k/m with 0 ≤ k < m, got ${a.shard}`);
const PROXIES = ['naswot', 'das', 'params', 'flops'] as const;
const preset: TrainedAccuracyPreset = {
  name: 'mobile-bench',
  C: 0, // width and depth come from the mobile architecture itself
  N: 0,
  layers: 0,
  imageSize: Number(a['image-size']),
  dataLimit: Number(a.train) + Number(a.val),
  valImages: Number(a.val),
  epochs: Number(a.epochs),
  batch: Number(a.batch),
};
const recipe = { ...preset, seed: trainSeed, scoreBatch: Number(a['score-batch']), data: 'cifar10 train_10k as a PNG folder' };
const recipeKey = JSON.stringify(recipe);

interface Row {
  i: number;
  arch: string;
  recipe: string;
  val_acc: number;
  scores: Record<string, number>;
  train_s: number;
  score_s: number;
  load1: number;
  at: string;
}

function readRows(): Row[] {
  const rows = readJsonl<Row>(out);
  const other = rows.find((r) => r.recipe !== recipeKey);
  if (other) throw new TsnasError(`${out}: line for architecture ${other.i} was made with recipe ${other.recipe}, not ${recipeKey}; give another --out`);
  // processes sharing the file may both have done an architecture where their orders met: keep the first
  const seenArch = new Set<string>();
  return rows.filter((r) => !seenArch.has(r.arch) && seenArch.add(r.arch));
}

// the same seeded draw every time, so a resumed run continues the same list
const rng = new Rng(seed);
const archs: AnyArch[] = [];
const seen = new Set<string>();
while (archs.length < n) {
  const s = sampleArch('mobile', rng);
  if (seen.has(s.text)) continue;
  seen.add(s.text);
  archs.push(s);
}

const rows = readRows();
if (!a.analyse) {
  mkdirSync(dirname(out), { recursive: true });
  const images = writeCifar10Folder(a.folder!);
  const backend = await initBackend('auto');
  const done = new Set(rows.map((r) => r.arch));
  const train = trainedAccuracyHook({ space: 'mobile', preset, dataset: 'folder', dataDir: a.folder, seed: trainSeed });
  const scoreData = loadTrainSplit({ dataset: 'folder', dataDir: a.folder, imageSize: preset.imageSize, trainLimit: preset.dataLimit, seed });
  process.stderr.write(`${images} images in ${a.folder}; backend ${backend.name}; ${done.size} of ${n} already in ${out}\n`);
  const todo = [...archs.entries()].filter(([i]) => i % shards === shard);
  if (a.reverse) todo.reverse();
  for (const [i, arch] of todo) {
    // another process on the same file may have done it meanwhile
    if (done.has(arch.text) || readRows().some((r) => r.arch === arch.text)) continue;
    const t0 = performance.now();
    const val_acc = train(parseArch('mobile', arch.text));
    const t1 = performance.now();
    const { scores } = scoreArch(arch, [...PROXIES], { data: scoreData, batch: recipe.scoreBatch, seed });
    const row: Row = {
      i,
      arch: arch.text,
      recipe: recipeKey,
      val_acc,
      scores,
      train_s: (t1 - t0) / 1000,
      score_s: (performance.now() - t1) / 1000,
      load1: os.loadavg()[0]!,
      at: new Date().toISOString(),
    };
    appendFileSync(out, JSON.stringify(row) + '\n');
    process.stderr.write(`${readRows().length}/${n} #${i} val ${val_acc.toFixed(1)} %  train ${row.train_s.toFixed(0)} s  load ${row.load1.toFixed(1)}\n`);
  }
}

// analysis: every architecture in the file (in draw order), whether computed here, earlier or by another process
const all = readRows().sort((x, y) => x.i - y.i);
const acc = all.map((r) => r.val_acc);
const corr = correlateScores(Object.fromEntries(PROXIES.map((p) => [p, all.map((r) => r.scores[p] ?? null)])), acc, { baseline: 'naswot', bootstrap: { resamples: 1000, seed: 0 } });
const summary = {
  n: all.length,
  recipe,
  accuracy: { min: Math.min(...acc), q25: quantile(acc, 0.25), median: quantile(acc, 0.5), q75: quantile(acc, 0.75), max: Math.max(...acc), mean: mean(acc), sd: std(acc, 1) },
  correlation: corr,
  train_s_total: all.reduce((s, r) => s + r.train_s + r.score_s, 0),
  load1: { min: Math.min(...all.map((r) => r.load1)), max: Math.max(...all.map((r) => r.load1)) },
};
writeFileSync(out.replace(/\.jsonl$/, '') + '-summary.json', JSON.stringify(summary, null, 2) + '\n');
const f = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(3));
console.log(
  `${all.length} mobile networks; validation accuracy ${summary.accuracy.min.toFixed(1)}–${summary.accuracy.max.toFixed(1)} % (median ${summary.accuracy.median.toFixed(1)}, sd ${summary.accuracy.sd.toFixed(1)})`,
);
console.log('| score | Kendall τ [95 % CI] | Spearman ρ [95 % CI] | τ / τ(NASWOT) [95 % CI] |');
console.log('|---|---|---|---|');
for (const p of PROXIES) {
  const c = corr[p]!;
  const ratio = c.ratio ? `${f(c.ratio.value)} [${f(c.ratio.ci?.[0])}, ${f(c.ratio.ci?.[1])}]` : '–';
  console.log(`| ${p} | ${f(c.kendall)} [${f(c.kendall_ci?.[0])}, ${f(c.kendall_ci?.[1])}] | ${f(c.spearman)} [${f(c.spearman_ci?.[0])}, ${f(c.spearman_ci?.[1])}] | ${ratio} |`);
}
console.log(`training + scoring ${(summary.train_s_total / 60).toFixed(1)} min in all; load average (1 min) ${summary.load1.min.toFixed(1)}–${summary.load1.max.toFixed(1)}`);
