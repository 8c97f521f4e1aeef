/**
 * Proxies against a DTB: score every architecture of a DTB file with the requested proxies (on the
 * DTB's own dataset and image size; the fast-training strategy via ScoreContext.train) and rank-
 * correlate with the recorded value (default val_acc) at any epoch. Used by `tsnas correlate --bench-dtb`.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { parseArch } from '../spaces/index.js';
import type { FastTrainOptions } from '../proxies/index.js';
import { scorePool, type ScoreProgress } from '../proxies/run.js';
import { kendallTau, spearman } from '../util/stats.js';
import { TsnasError } from '../util/errors.js';
import { loadRunData } from './run.js';
import { dtbTargets, readDtb } from './dtb.js';

export interface DtbCorrelateOptions {
  file: string;
  /** 1-based epoch; 0/undefined: the last recorded one. */
  epoch?: number;
  target?: string;
  proxies: string[];
  batch: number;
  seed: number;
  train?: FastTrainOptions;
  dataDir?: string;
  /** Use only the first n training images for scoring. */
  dataLimit?: number;
  /** Progress after each architecture. */
  onProgress?: (e: ScoreProgress) => void;
  scoresOut?: string;
}

export interface DtbCorrelation {
  n: number;
  space: string;
  epoch: number;
  target: string;
  kendall: Record<string, number>;
  spearman: Record<string, number>;
  wall_s: number;
}

export function correlateDtb(o: DtbCorrelateOptions): DtbCorrelation {
  const d = readDtb(o.file);
  if (d.archs.length < 2) throw new TsnasError(`${o.file} has ${d.archs.length} architecture(s); correlation needs at least 2`);
  const target = o.target ?? 'val_acc';
  const targets = dtbTargets(d, o.epoch, target);
  const epoch = o.epoch || d.archs[0]!.epochs.length;
  const data = loadRunData({ ...d.data, dataDir: o.dataDir ?? d.data.dataDir, trainLimit: o.dataLimit ?? d.data.trainLimit }).train;
  if (o.batch > data.n) throw new TsnasError(`--batch ${o.batch} exceeds the ${data.n} training images`);
  const ys = targets.map((t) => t.value);
  if (o.scoresOut) writeFileSync(o.scoresOut, '');
  const t0 = performance.now();
  const res = scorePool(
    targets.map((t) => parseArch(d.space, t.arch)),
    o.proxies,
    { data, batch: o.batch, seed: o.seed, train: o.train },
    {
      onProgress: o.onProgress,
      onResult: (r, i) => {
        if (o.scoresOut) appendFileSync(o.scoresOut, `${JSON.stringify({ arch: r.arch, scores: r.scores, target: ys[i], seconds: r.seconds })}\n`);
      },
    },
  );
  const kendall: Record<string, number> = {};
  const spear: Record<string, number> = {};
  for (const p of o.proxies) {
    const xs = res.map((r) => r.scores[p]!);
    kendall[p] = kendallTau(xs, ys);
    spear[p] = spearman(xs, ys);
  }
  return { n: targets.length, space: d.space, epoch, target, kendall, spearman: spear, wall_s: (performance.now() - t0) / 1000 };
}
