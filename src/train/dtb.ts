/**
 * DTB, the training-states benchmark tsnas builds itself (after the DAS paper's Darts-training-
 * bench): N seeded architectures, each trained with one recipe, every epoch's train/val loss and
 * accuracy, learning rate and wall time recorded, with params and FLOPs. Schema: docs/DTB.md.
 *
 * Build directory:
 *   dtb.json               manifest: version, space, seed, architectures, net/data/recipe
 *   runs/NNNN/             one run directory per architecture (trainer checkpoint, curves)
 *   runs/NNNN/result.json  written (atomically) when the architecture is finished
 * A killed build resumes: finished architectures are skipped, a half-trained one continues from
 * its last epoch checkpoint, exactly as if never interrupted.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleArch, type SpaceName } from '../spaces/index.js';
import { Rng } from '../util/rng.js';
import { TsnasError } from '../util/errors.js';
import { writeFileAtomic } from './checkpoint.js';
import { loadRunData, runTrainingSteps, type DataSpec, type NetSpec } from './run.js';
import { runToEnd, runYielding } from './trainer.js';
import type { EpochRecord, TrainProgress, TrainRecipe } from './trainer.js';

export const DTB_FORMAT = 'tsnas-dtb';
export const DTB_VERSION = 1;

export interface DtbManifest {
  format: typeof DTB_FORMAT;
  version: number;
  space: SpaceName;
  seed: number;
  archs: string[];
  /** Net size (arch and initSeed vary per architecture: initSeed = seed + index). */
  net: Omit<NetSpec, 'arch' | 'initSeed' | 'space'>;
  data: DataSpec;
  recipe: TrainRecipe;
}

export interface DtbEpoch {
  epoch: number;
  lr: number;
  train_loss: number;
  train_acc: number;
  val_loss: number;
  val_acc: number;
  epoch_s: number;
  wall_s: number;
}

export interface DtbArch {
  index: number;
  arch: string;
  params: number;
  flops: number;
  init_seed: number;
  epochs: DtbEpoch[];
}

export interface DtbFile {
  format: typeof DTB_FORMAT;
  version: number;
  space: SpaceName;
  seed: number;
  created: string;
  data: DataSpec & { val: string };
  net: DtbManifest['net'];
  recipe: TrainRecipe;
  num_archs: number;
  num_epochs: number;
  archs: DtbArch[];
}

/** N distinct architectures from `seed` (rejection of duplicates). */
export function sampleDtbArchs(space: SpaceName, n: number, seed: number): string[] {
  const rng = new Rng(seed);
  const seen = new Set<string>();
  const out: string[] = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries > 100 * n) throw new TsnasError(`could not sample ${n} distinct ${space} architectures`);
    const a = sampleArch(space, rng).text;
    if (!seen.has(a)) {
      seen.add(a);
      out.push(a);
    }
  }
  return out;
}

const runDir = (dir: string, i: number) => join(dir, 'runs', String(i).padStart(4, '0'));

/** Where architecture `i`'s record goes once it is trained (its existence marks it done). */
export function dtbResultFile(dir: string, i: number): string {
  return join(runDir(dir, i), 'result.json');
}

/** Write architecture `i`'s record, unless a record is already there (a build writes each once). */
export function writeDtbArch(dir: string, rec: DtbArch): boolean {
  const file = dtbResultFile(dir, rec.index);
  if (existsSync(file)) return false;
  mkdirSync(runDir(dir, rec.index), { recursive: true });
  writeFileAtomic(file, [`${JSON.stringify(rec)}\n`]);
  return true;
}

/** An epoch of the trainer's history as the DTB records it. */
export function dtbEpoch(r: EpochRecord): DtbEpoch {
  return {
    epoch: r.epoch,
    lr: r.lr,
    train_loss: r.train_loss,
    train_acc: r.train_acc,
    val_loss: r.val_loss!,
    val_acc: r.val_acc!,
    epoch_s: r.epoch_s,
    wall_s: r.wall_s,
  };
}

export interface BuildOptions {
  /** Told each architecture's training progress (labelled `[i/n]`). */
  onProgress?: (p: TrainProgress) => void;
  /** Stop after this many architectures were trained in this call (simulated interruption). */
  stopAfter?: number;
  log?: (msg: string) => void;
  /** Polled after every training step; true stops after a (mid-epoch) checkpoint of the current architecture. */
  shouldStop?: () => boolean;
}

export interface BuildOutcome {
  done: number;
  trainedNow: number;
  total: number;
  /** Set when shouldStop() stopped the build: the architecture (0-based) and where in its training. */
  stoppedAt?: { arch: number; epoch: number; step: number; steps: number };
}

/**
 * Build (or resume) a DTB in `dir`. With an existing dtb.json the stored manifest must equal the
 * requested one (same archs, recipe, data). Returns the numbers of architectures done and trained now.
 */
export function buildDtb(dir: string, m: DtbBuildSpec, o: BuildOptions = {}): BuildOutcome {
  return runToEnd(buildDtbSteps(dir, m, o));
}

/** buildDtb, yielding to the event loop after every training step (so a Ctrl-C handler can set shouldStop). */
export function buildDtbAsync(dir: string, m: DtbBuildSpec, o: BuildOptions = {}): Promise<BuildOutcome> {
  return runYielding(buildDtbSteps(dir, m, o));
}

export type DtbBuildSpec = Omit<DtbManifest, 'format' | 'version' | 'archs'> & { numArchs: number };

/**
 * The manifest of a build in `dir`: written on the first call, checked against the stored one on
 * later calls (a directory holds one build).
 */
export function openDtbBuild(dir: string, m: DtbBuildSpec): DtbManifest {
  const archs = sampleDtbArchs(m.space, m.numArchs, m.seed);
  const manifest: DtbManifest = { format: DTB_FORMAT, version: DTB_VERSION, space: m.space, seed: m.seed, archs, net: m.net, data: m.data, recipe: m.recipe };
  mkdirSync(join(dir, 'runs'), { recursive: true });
  const mf = join(dir, 'dtb.json');
  if (existsSync(mf)) {
    const old = JSON.parse(readFileSync(mf, 'utf8')) as DtbManifest;
    const strip = (x: DtbManifest) => JSON.stringify({ ...x, data: { ...x.data, dataDir: undefined } });
    if (strip(old) !== strip(manifest)) throw new TsnasError(`${dir} holds a DTB built with other settings (see its dtb.json); use another --out`);
  } else writeFileAtomic(mf, [`${JSON.stringify(manifest, null, 2)}\n`]);
  return manifest;
}

/** The build as a generator that yields after every training step. */
export function* buildDtbSteps(dir: string, m: DtbBuildSpec, o: BuildOptions = {}): Generator<void, BuildOutcome> {
  const { archs } = openDtbBuild(dir, m);
  const data = loadRunData(m.data);
  let trainedNow = 0;
  let done = 0;
  for (let i = 0; i < archs.length; i++) {
    const rd = runDir(dir, i);
    if (existsSync(dtbResultFile(dir, i))) {
      done++;
      continue;
    }
    if (o.stopAfter !== undefined && trainedNow >= o.stopAfter) break;
    if (o.shouldStop?.()) return { done, trainedNow, total: archs.length, stoppedAt: { arch: i, epoch: 0, step: 0, steps: 0 } };
    const initSeed = m.seed + i;
    const t = performance.now();
    const res = yield* runTrainingSteps(
      { net: { ...m.net, space: m.space, arch: archs[i]!, initSeed }, data: m.data, recipe: m.recipe },
      { runDir: rd, resume: true, onProgress: o.onProgress, label: `[${i + 1}/${archs.length}]`, evalName: 'val', data, shouldStop: o.shouldStop },
    );
    if (res.stoppedAt) return { done, trainedNow, total: archs.length, stoppedAt: { arch: i, ...res.stoppedAt } };
    writeDtbArch(dir, { index: i, arch: res.arch, params: res.params, flops: res.flops, init_seed: initSeed, epochs: res.history.map(dtbEpoch) });
    trainedNow++;
    done++;
    o.log?.(
      `[${i + 1}/${archs.length}] val_acc ${res.last!.val_acc!.toFixed(2)}% after ${res.epochs} epochs (${((performance.now() - t) / 1000).toFixed(1)} s${res.resumedFrom ? `, resumed at epoch ${res.resumedFrom}` : ''})`,
    );
  }
  return { done, trainedNow, total: archs.length };
}

/** Collect a build directory into the versioned DTB document (finished architectures only, unless `partial`). */
export function collectDtb(dir: string, o: { partial?: boolean } = {}): DtbFile {
  const mf = join(dir, 'dtb.json');
  if (!existsSync(mf)) throw new TsnasError(`${dir} is not a DTB build directory (no dtb.json)`);
  const m = JSON.parse(readFileSync(mf, 'utf8')) as DtbManifest;
  const archs: DtbArch[] = [];
  const missing: number[] = [];
  m.archs.forEach((_, i) => {
    const f = dtbResultFile(dir, i);
    if (existsSync(f)) archs.push(JSON.parse(readFileSync(f, 'utf8')) as DtbArch);
    else missing.push(i);
  });
  if (missing.length && !o.partial)
    throw new TsnasError(`DTB in ${dir} is unfinished: ${missing.length} of ${m.archs.length} architectures not trained yet (resume the build, or export with --partial)`);
  const { dataDir: _d, ...data } = m.data;
  return {
    format: DTB_FORMAT,
    version: DTB_VERSION,
    space: m.space,
    seed: m.seed,
    created: new Date().toISOString(),
    data: { ...data, val: `the ${m.data.dataset} test split${m.data.testLimit ? ` (first ${m.data.testLimit} images)` : ''}, normalised with training statistics` },
    net: m.net,
    recipe: m.recipe,
    num_archs: archs.length,
    num_epochs: m.recipe.epochs,
    archs,
  };
}

export const DTB_CSV_COLUMNS = ['index', 'arch', 'params', 'flops', 'epoch', 'lr', 'train_loss', 'train_acc', 'val_loss', 'val_acc', 'epoch_s', 'wall_s'] as const;

export function dtbToCsv(d: DtbFile): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const rows = [`# ${DTB_FORMAT} v${d.version} space=${d.space} seed=${d.seed} dataset=${d.data.dataset} epochs=${d.num_epochs} archs=${d.num_archs}`, DTB_CSV_COLUMNS.join(',')];
  for (const a of d.archs) {
    for (const e of a.epochs) {
      rows.push([a.index, q(a.arch), a.params, a.flops, e.epoch, e.lr, e.train_loss, e.train_acc, e.val_loss, e.val_acc, e.epoch_s, e.wall_s].join(','));
    }
  }
  return `${rows.join('\n')}\n`;
}

export function writeDtb(d: DtbFile, file: string, format: 'json' | 'csv'): void {
  writeFileAtomic(file, [format === 'json' ? `${JSON.stringify(d)}\n` : dtbToCsv(d)]);
}

/** Read a DTB JSON file, checking format and version. */
export function readDtb(file: string): DtbFile {
  let d: DtbFile;
  try {
    d = JSON.parse(readFileSync(file, 'utf8')) as DtbFile;
  } catch (e) {
    throw new TsnasError(`cannot read DTB file ${file}: ${(e as Error).message} (give the JSON export)`);
  }
  if (d.format !== DTB_FORMAT) throw new TsnasError(`${file} is not a ${DTB_FORMAT} file`);
  if (d.version > DTB_VERSION) throw new TsnasError(`${file} is DTB version ${d.version}; this tsnas reads up to ${DTB_VERSION}`);
  return d;
}

/** The value of `target` (val_acc, train_acc, val_loss, ...) at `epoch` (1-based; 0 or omitted: the last) for every architecture. */
export function dtbTargets(d: DtbFile, epoch: number | undefined, target = 'val_acc'): { arch: string; value: number }[] {
  return d.archs.map((a) => {
    const e = epoch ? a.epochs.find((r) => r.epoch === epoch) : a.epochs[a.epochs.length - 1];
    if (!e) throw new TsnasError(`architecture ${a.index} has no epoch ${epoch} (recorded: 1..${a.epochs.length})`);
    const v = (e as unknown as Record<string, number>)[target];
    if (typeof v !== 'number') throw new TsnasError(`unknown DTB target '${target}' (use ${DTB_CSV_COLUMNS.slice(5).join(', ')})`);
    return { arch: a.arch, value: v };
  });
}
