/**
 * The trainer: SGD (momentum / Nesterov, weight decay, gradient clipping) with a per-epoch cosine
 * schedule, cutout through the Batcher, drop-path (linearly ramped, as DARTS), auxiliary head
 * loss, label smoothing; evaluation each epoch; an atomic checkpoint each epoch and resume.
 *
 * Run directory:
 *   config.json       the run's full configuration (written once)
 *   checkpoint.ckpt   latest epoch: weights, BN buffers, momentum, RNG + batcher state, history
 *   curves.json/.csv  per-epoch records (rewritten each epoch)
 *   result.json       the final summary (when all epochs are done)
 *
 * Resume restores everything the next epoch depends on, so an interrupted-and-resumed run computes
 * exactly what the uninterrupted run would (same backend; tested on cpu).
 *
 * The loop is a generator that yields after every step: trainNetwork() runs it straight through,
 * trainNetworkAsync() yields to the event loop between steps so a Ctrl-C handler can ask it to stop
 * (`shouldStop`): it then writes a mid-epoch checkpoint (the step reached and the epoch's running
 * sums besides the usual state) from which a resume finishes the epoch exactly as it would have.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf, type Tensor, type Tensor1D, type Tensor4D } from '../engine/tf.js';
import { Batcher, makeBatch, type BatcherState, type Dataset } from '../data/index.js';
import type { Network } from '../nn/network.js';
import { getSpace, type SpaceName } from '../spaces/index.js';
import { Rng } from '../util/rng.js';
import { TsnasError } from '../util/errors.js';
import { cosineLr, Sgd } from '../optim/index.js';
import { readCheckpoint, writeCheckpoint, writeFileAtomic, type TensorEntry } from './checkpoint.js';

export interface TrainRecipe {
  epochs: number;
  batch: number;
  lr: number;
  /** Cosine schedule floor (default 0). */
  lrMin: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  /** Global gradient-norm clip (0: off). */
  gradClip: number;
  /** Random crop padding (0: off). */
  cropPadding: number;
  flip: boolean;
  /** Cutout side (0: off). */
  cutout: number;
  /** Final drop-path probability; epoch e uses dropPath·e/epochs (0: off). */
  dropPath: number;
  /** Weight of the auxiliary-head loss (only when the network has one). */
  auxWeight: number;
  /** Label smoothing ε (0: off). */
  labelSmoothing: number;
  evalBatch: number;
  /** Seed of the batch order, augmentation and drop-path. */
  seed: number;
}

export const DEFAULT_RECIPE: TrainRecipe = {
  epochs: 10,
  batch: 64,
  lr: 0.1,
  lrMin: 0,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 5e-4,
  gradClip: 5,
  cropPadding: 4,
  flip: true,
  cutout: 0,
  dropPath: 0,
  auxWeight: 0.4,
  labelSmoothing: 0,
  evalBatch: 256,
  seed: 0,
};

/** A space's training defaults (its SearchSpace.trainRecipe; docs/methods/benchmarks.md), the epoch count aside: `tsnas train`, `dtb build`, accuracy:trained. */
export function spaceRecipe(space: SpaceName): Partial<TrainRecipe> {
  return getSpace(space).trainRecipe ?? {};
}

/** One epoch's record. `<set>_loss`/`<set>_acc` for every evaluation set (e.g. val_acc, test_acc). */
export interface EpochRecord {
  epoch: number;
  lr: number;
  train_loss: number;
  train_acc: number;
  /** Seconds of this epoch (training + evaluation) and cumulated over the run (excluding time lost to kills). */
  epoch_s: number;
  wall_s: number;
  /** Live TF.js tensors after the epoch (memory-flatness check). */
  num_tensors: number;
  [evalKey: string]: number;
}

export interface TrainMeta {
  version: 1;
  /** Identifies the configuration; a resume with a different one is refused. */
  configKey: string;
  /** Epochs completed. */
  epoch: number;
  batcher: BatcherState;
  rngState: number;
  history: EpochRecord[];
  /** Set when stopped inside epoch `epoch + 1`: steps done and that epoch's running sums. */
  partial?: PartialEpoch;
}

export interface PartialEpoch {
  step: number;
  lossSum: number;
  correct: number;
  seen: number;
  /** Seconds spent in the epoch so far, and the run's wall seconds at the stop. */
  epoch_s: number;
  wall_s: number;
}

export interface TrainOptions {
  net: Network;
  train: Dataset;
  /** Evaluated after every epoch, recorded as `<name>_loss` / `<name>_acc`. */
  evalSets: Record<string, Dataset>;
  recipe: TrainRecipe;
  /** Run directory (checkpoint, curves). Without it nothing is written and resume is impossible. */
  runDir?: string;
  /** Anything identifying the run (arch, net size, data, recipe); stored in config.json and compared on resume. */
  config?: Record<string, unknown>;
  resume?: boolean;
  /** Told the progress (the CLI draws a bar from it: src/cli/train-progress.ts). */
  onProgress?: (p: TrainProgress) => void;
  /** Names the run in the progress events (e.g. `[3/20]` in dtb build). */
  label?: string;
  /** Called after each epoch's checkpoint. Return false to stop (simulated interruption). */
  onEpoch?: (r: EpochRecord) => boolean | void;
  /**
   * Polled after every step (trainNetworkAsync yields to the event loop first): true stops the run
   * there, after a checkpoint (mid-epoch when inside an epoch; needs runDir).
   */
  shouldStop?: () => boolean;
}

/**
 * Progress of a training run, in order: `start` (only when epochs remain), then per step `step`,
 * per completed epoch `epoch`, and `end` (also when stopped or failed).
 */
export type TrainProgress =
  | {
      kind: 'start';
      label?: string;
      /** 1-based epoch that starts (or continues) now, and the run's epochs. */
      epoch: number;
      epochs: number;
      /** Steps per epoch, steps left to the end of the run (from the start of `epoch`), steps of `epoch` already done (a resume inside it). */
      steps: number;
      total: number;
      done: number;
    }
  | {
      kind: 'step';
      epoch: number;
      epochs: number;
      /** Steps done in `epoch`. */
      step: number;
      steps: number;
      /** The epoch's running mean loss and accuracy (percent). */
      loss: number;
      acc: number;
    }
  | {
      kind: 'epoch';
      epoch: number;
      epochs: number;
      record: EpochRecord;
      /** Accuracy (percent) on each evaluation set, in `evalSets` order. */
      evalAcc: Record<string, number>;
    }
  | { kind: 'end' };

export interface TrainResult {
  history: EpochRecord[];
  /** Epochs completed (less than recipe.epochs when stopped by onEpoch). */
  epochs: number;
  resumedFrom: number;
  wall_s: number;
  /** Where shouldStop() stopped the run (epoch 1-based, steps done in it), if it did. */
  stoppedAt?: { epoch: number; step: number; steps: number };
}

export const CHECKPOINT_FILE = 'checkpoint.ckpt';

/** Cross-entropy with optional label smoothing, mean over the batch. */
export function crossEntropy(logits: Tensor, y: Tensor1D, numClasses: number, smoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    let q: Tensor = tf.oneHot(y, numClasses).toFloat();
    if (smoothing > 0) q = tf.add(tf.mul(q, 1 - smoothing), smoothing / numClasses);
    return tf.neg(tf.mean(tf.sum(tf.mul(q, logp), 1))) as tf.Scalar;
  });
}

/** Mean loss and accuracy of `net` (BN in eval mode) on `ds`. */
export function evaluate(net: Network, ds: Dataset, batch = 256): { loss: number; acc: number } {
  let lossSum = 0;
  let correct = 0;
  for (let s = 0; s < ds.n; s += batch) {
    const idx = Int32Array.from({ length: Math.min(batch, ds.n - s) }, (_, i) => s + i);
    const b = makeBatch(ds, idx);
    const [l, c] = tf.tidy(() => {
      const logits = net.forward(b.x, { training: false });
      const loss = tf.mul(crossEntropy(logits, b.y, ds.numClasses), idx.length);
      const corr = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), b.y), 'float32'));
      return [loss.dataSync()[0]!, corr.dataSync()[0]!];
    });
    tf.dispose([b.x, b.y]);
    lossSum += l;
    correct += c;
  }
  return { loss: lossSum / ds.n, acc: (100 * correct) / ds.n };
}

function entries(vars: [string, tf.Variable][]): TensorEntry[] {
  return vars.map(([name, v]) => ({ name, shape: v.shape, data: v.dataSync() as Float32Array }));
}

/** Assign checkpoint tensors to variables by name (every variable must be present). */
export function assignEntries(vars: [string, tf.Variable][], es: TensorEntry[] | undefined, what: string): void {
  const byName = new Map((es ?? []).map((e) => [e.name, e]));
  for (const [name, v] of vars) {
    const e = byName.get(name);
    if (!e) throw new TsnasError(`checkpoint lacks ${what} ${name}`);
    if (e.data.length !== v.size) throw new TsnasError(`checkpoint ${what} ${name} has ${e.data.length} values, the network has ${v.size}`);
    tf.tidy(() => v.assign(tf.tensor(e.data, v.shape)));
  }
}

/** Load a run's weights and BN buffers into `net` from its checkpoint. Returns the checkpoint meta. */
export function loadWeights(net: Network, file: string): TrainMeta {
  const ck = readCheckpoint<TrainMeta>(file);
  assignEntries(net.namedParameters(), ck.groups.params, 'parameter');
  assignEntries(net.namedBuffers(), ck.groups.buffers, 'buffer');
  return ck.meta;
}

/** A canonical string of the configuration (sorted keys, dataDir left out: moving the data is fine). */
export function configKey(config: Record<string, unknown>): string {
  const canon = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .filter((k) => k !== 'dataDir')
            .sort()
            .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
        )
      : v;
  return JSON.stringify(canon(config));
}

function curvesCsv(h: EpochRecord[]): string {
  if (!h.length) return '';
  const cols = Object.keys(h[0]!);
  return `${cols.join(',')}\n${h.map((r) => cols.map((c) => r[c]).join(',')).join('\n')}\n`;
}

export function writeCurves(dir: string, h: EpochRecord[]): void {
  writeFileAtomic(join(dir, 'curves.json'), [`${JSON.stringify(h, null, 1)}\n`]);
  writeFileAtomic(join(dir, 'curves.csv'), [curvesCsv(h)]);
}

/** Train to the end (or until onEpoch says stop), synchronously. */
export function trainNetwork(o: TrainOptions): TrainResult {
  return runToEnd(trainSteps(o));
}

/** Train, yielding to the event loop after every step (so signal handlers run; see shouldStop). */
export function trainNetworkAsync(o: TrainOptions): Promise<TrainResult> {
  return runYielding(trainSteps(o));
}

/** Drive a step generator to its end. */
export function runToEnd<T>(g: Generator<void, T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/** Drive a step generator to its end, yielding to the event loop between steps. */
export async function runYielding<T>(g: Generator<void, T>): Promise<T> {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The training loop as a generator that yields after every step. */
export function* trainSteps(o: TrainOptions): Generator<void, TrainResult> {
  const { net, train, recipe: r } = o;
  const cfg = o.config ?? {};
  const key = configKey({ ...cfg, recipe: r });
  const ckFile = o.runDir ? join(o.runDir, CHECKPOINT_FILE) : undefined;
  if (o.runDir) {
    mkdirSync(o.runDir, { recursive: true });
    const cfgFile = join(o.runDir, 'config.json');
    if (!o.resume || !existsSync(cfgFile)) writeFileSync(cfgFile, `${JSON.stringify({ ...cfg, recipe: r }, null, 2)}\n`);
  }
  const params = net.namedParameters();
  const buffers = net.namedBuffers();
  const opt = new Sgd(params, { lr: r.lr, momentum: r.momentum, nesterov: r.nesterov, weightDecay: r.weightDecay, gradClip: r.gradClip });
  const augment = { cropPadding: r.cropPadding, flip: r.flip, cutout: r.cutout };
  let batcher = new Batcher(train, { batchSize: r.batch, seed: r.seed, augment });
  const rng = new Rng(Rng.mix(r.seed) ^ 0xd409);
  let history: EpochRecord[] = [];
  let start = 0;
  let partial: PartialEpoch | undefined;
  if (o.resume && ckFile && existsSync(ckFile)) {
    const ck = readCheckpoint<TrainMeta>(ckFile);
    if (ck.meta.configKey !== key) {
      throw new TsnasError(`cannot resume ${o.runDir}: its checkpoint was made with a different configuration (delete the directory or drop --resume)`);
    }
    assignEntries(params, ck.groups.params, 'parameter');
    assignEntries(buffers, ck.groups.buffers, 'buffer');
    opt.load(ck.groups.momentum ?? []);
    batcher = new Batcher(train, { batchSize: r.batch, seed: r.seed, augment }, ck.meta.batcher);
    rng.state = ck.meta.rngState;
    history = ck.meta.history;
    start = ck.meta.epoch;
    partial = ck.meta.partial;
  }
  const resumedFrom = start;
  const prevWall = partial ? partial.wall_s : history.length ? history[history.length - 1]!.wall_s : 0;
  const t0 = performance.now();
  const perEpoch = batcher.batchesPerEpoch;
  const progress = start < r.epochs ? o.onProgress : undefined;
  progress?.({ kind: 'start', ...(o.label ? { label: o.label } : {}), epoch: start + 1, epochs: r.epochs, steps: perEpoch, total: (r.epochs - start) * perEpoch, done: partial?.step ?? 0 });
  let stopped = false;
  let stoppedAt: TrainResult['stoppedAt'];
  try {
    for (let e = start; e < r.epochs && !stopped; e++) {
      const te = performance.now() - (partial ? partial.epoch_s * 1000 : 0);
      opt.lr = cosineLr({ base: r.lr, min: r.lrMin, epoch: e, epochs: r.epochs });
      const dp = r.dropPath > 0 ? (r.dropPath * e) / r.epochs : 0;
      let lossSum = partial?.lossSum ?? 0;
      let correct = partial?.correct ?? 0;
      let seen = partial?.seen ?? 0;
      const s0 = partial?.step ?? 0;
      partial = undefined;
      for (let s = s0; s < perEpoch; s++) {
        const b = batcher.next();
        const [l, c] = tf.tidy(() => {
          let corr: Tensor | undefined;
          const { value, grads } = tf.variableGrads(
            () => {
              const out = net.forwardFull(b.x as Tensor4D, { training: true, dropPath: dp, rng });
              corr = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(out.logits, 1), b.y), 'float32')));
              let loss = crossEntropy(out.logits, b.y, train.numClasses, r.labelSmoothing);
              if (out.aux && r.auxWeight > 0) loss = tf.add(loss, tf.mul(crossEntropy(out.aux, b.y, train.numClasses, r.labelSmoothing), r.auxWeight));
              return loss;
            },
            params.map(([, v]) => v),
          );
          opt.step(grads);
          const out: [number, number] = [value.dataSync()[0]!, corr!.dataSync()[0]!];
          corr!.dispose();
          return out;
        });
        const n = b.indices.length;
        tf.dispose([b.x, b.y]);
        if (!Number.isFinite(l)) throw new TsnasError(`training diverged at epoch ${e + 1}, step ${s + 1} (loss ${l}); lower --lr`);
        lossSum += l * n;
        correct += c;
        seen += n;
        progress?.({ kind: 'step', epoch: e + 1, epochs: r.epochs, step: s + 1, steps: perEpoch, loss: lossSum / seen, acc: (100 * correct) / seen });
        yield;
        if (s + 1 < perEpoch && o.shouldStop?.()) {
          // Stop mid-epoch: checkpoint the step reached with the epoch's running sums.
          if (o.runDir && ckFile) {
            const part: PartialEpoch = { step: s + 1, lossSum, correct, seen, epoch_s: (performance.now() - te) / 1000, wall_s: prevWall + (performance.now() - t0) / 1000 };
            const meta: TrainMeta = { version: 1, configKey: key, epoch: e, batcher: batcher.getState(), rngState: rng.state, history, partial: part };
            writeCheckpoint(ckFile, { meta, groups: { params: entries(params), buffers: entries(buffers), momentum: opt.state() } });
          }
          stoppedAt = { epoch: e + 1, step: s + 1, steps: perEpoch };
          break;
        }
      }
      if (stoppedAt) break;
      const rec: EpochRecord = {
        epoch: e + 1,
        lr: opt.lr,
        train_loss: lossSum / seen,
        train_acc: (100 * correct) / seen,
        epoch_s: 0,
        wall_s: 0,
        num_tensors: 0,
      };
      const evalAcc: Record<string, number> = {};
      for (const [name, ds] of Object.entries(o.evalSets)) {
        const ev = evaluate(net, ds, r.evalBatch);
        rec[`${name}_loss`] = ev.loss;
        rec[`${name}_acc`] = ev.acc;
        evalAcc[name] = ev.acc;
      }
      rec.epoch_s = (performance.now() - te) / 1000;
      rec.wall_s = prevWall + (performance.now() - t0) / 1000;
      rec.num_tensors = tf.memory().numTensors;
      history.push(rec);
      if (o.runDir && ckFile) {
        const meta: TrainMeta = { version: 1, configKey: key, epoch: e + 1, batcher: batcher.getState(), rngState: rng.state, history };
        writeCheckpoint(ckFile, { meta, groups: { params: entries(params), buffers: entries(buffers), momentum: opt.state() } });
        writeCurves(o.runDir, history);
      }
      progress?.({ kind: 'epoch', epoch: e + 1, epochs: r.epochs, record: rec, evalAcc });
      if (o.onEpoch?.(rec) === false) stopped = true;
      if (e + 1 < r.epochs && o.shouldStop?.()) {
        stopped = true;
        stoppedAt = { epoch: e + 1, step: perEpoch, steps: perEpoch };
      }
    }
  } finally {
    progress?.({ kind: 'end' });
    opt.dispose();
  }
  const done = history.length;
  return { history, epochs: done, resumedFrom, wall_s: done ? history[done - 1]!.wall_s : 0, ...(stoppedAt ? { stoppedAt } : {}) };
}

/** Read a run directory's config.json. */
export function readRunConfig(dir: string): Record<string, unknown> {
  const f = join(dir, 'config.json');
  if (!existsSync(f)) throw new TsnasError(`${dir} is not a tsnas run directory (no config.json)`);
  return JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
}
