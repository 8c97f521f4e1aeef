/**
 * The supernet trainer shared by every differentiable strategy: data preparation (limit,
 * downsample, 50/50 search split), optimizers (SGD on w with cosine lr and grad clip, Adam on the
 * architecture, or SGD like w), the epoch loop calling the strategy's step, a per-epoch record (losses and
 * accuracies, softmax(α) per edge, derived genotype, NB201 ground truth, collapse counts), and a
 * checkpoint after every epoch from which `resume` continues bit-for-bit.
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D } from '../../engine/tf.js';
import { Batcher, downsample, makeBatch, splitTrainVal, subset, type BatcherState, type Dataset } from '../../data/index.js';
import type { Nb201Table } from '../../benchmarks/nb201-table.js';
import { NB201_ACCURACY_COLUMNS } from '../../benchmarks/nb201-table.js';
import { Rng } from '../../util/rng.js';
import { TsnasError } from '../../util/errors.js';
import { Adam, Sgd, cosineLr } from '../../optim/index.js';
import { SearchModel, type Derived } from './model.js';
import { STEPS, type StepBatch, type StepEnv } from './strategies.js';
import type { SearchConfig } from './presets.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';

export interface EpochRecord {
  epoch: number;
  lr: number;
  archActive: boolean;
  trainLoss: number;
  trainAcc: number;
  valLoss: number;
  valAcc: number;
  /** softmax(α) per α tensor [tensor][edge][op] (NB201: one tensor; DARTS: normal, reduce). */
  alpha: number[][][];
  /** PC-DARTS edge weights softmax(β) per β tensor, when edge normalisation is on. */
  beta?: number[][];
  genotype: string;
  /** skip_connect and parameter-free ops in the derived (normal) cell. */
  skipCount: number;
  paramFreeCount: number;
  /** NB201: the table's accuracies of the derived cell. */
  bench?: Record<string, number>;
  /** NB201: the cell the other derivation gives (argmax ↔ argmax without `none`), and its accuracies. */
  altDerive?: { derive: string; genotype: string; bench?: Record<string, number> };
  seconds: number;
  /** Live tensors at the end of the epoch (must stay flat). */
  numTensors: number;
}

export interface SearchRunOptions {
  /** Checkpoint directory (none: no checkpoints). */
  outDir?: string;
  resume?: boolean;
  table?: Nb201Table;
  onStep?(p: { epoch: number; step: number; steps: number; loss: number; acc: number }): void;
  onEpoch?(r: EpochRecord): void;
  /** Stop (as if killed) once this many epochs are complete; for tests. */
  stopAfterEpochs?: number;
  /** Polled after each epoch's checkpoint (Ctrl-C): true ends the run early, resumable. */
  shouldStop?: () => boolean;
}

export interface SearchResult {
  genotype: string;
  derived: Derived;
  epochs: number;
  wall_s: number;
  history: EpochRecord[];
  bench?: Record<string, number>;
  config: SearchConfig;
  /** Epoch the run started from (0 unless resumed). */
  resumedFrom: number;
  /** True when stopAfterEpochs cut the run short. */
  stopped: boolean;
}

interface TrainerState {
  config: SearchConfig;
  epochsDone: number;
  elapsed: number;
  wStep: number;
  aStep: number;
  train: BatcherState;
  val: BatcherState;
  rng: number;
  history: EpochRecord[];
}

/** Limit, downsample to the preset's side (integer factor), then the seeded stratified split. */
export function prepareSearchData(ds: Dataset, cfg: SearchConfig): { train: Dataset; val: Dataset } {
  let d = ds;
  if (cfg.dataLimit !== undefined && cfg.dataLimit < d.n)
    d = subset(
      d,
      Array.from({ length: cfg.dataLimit }, (_, i) => i),
    );
  if (d.height !== cfg.imageSize) {
    const f = Math.round(d.height / cfg.imageSize);
    if (f < 1 || d.height % f !== 0 || d.width % f !== 0) throw new TsnasError(`cannot bring ${d.height}×${d.width} images to about ${cfg.imageSize} px by an integer factor`);
    d = downsample(d, f);
  }
  return splitTrainVal(d, cfg.valFraction, cfg.seed);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function benchOf(table: Nb201Table | undefined, arch: string): Record<string, number> | undefined {
  if (!table || !table.has(arch)) return undefined;
  const v = table.get(arch).values;
  const out: Record<string, number> = {};
  for (const c of NB201_ACCURACY_COLUMNS) if (c in v) out[c] = v[c]!;
  return out;
}

export async function runSearch(cfg: SearchConfig, data: Dataset, opts: SearchRunOptions = {}): Promise<SearchResult> {
  const { train, val } = prepareSearchData(data, cfg);
  const model = new SearchModel(
    {
      space: cfg.space,
      C: cfg.C,
      depth: cfg.depth,
      numClasses: data.numClasses,
      inputShape: [train.height, train.width, train.channels],
      partialK: cfg.partialK,
      edgeNorm: cfg.edgeNorm,
      opAffine: cfg.opAffine,
    },
    new Rng(cfg.seed),
  );
  // a parameter without a gradient takes a zero one (weight decay and momentum still move it), as in the DARTS code
  const wOpt = new Sgd(model.weights(), { momentum: cfg.momentum, weightDecay: cfg.weightDecay, missingGrad: 'zero' });
  const sgdArch = cfg.archOptimizer === 'sgd';
  const aOpt = sgdArch
    ? new Sgd(model.archParams(), { momentum: cfg.momentum, weightDecay: cfg.weightDecay, missingGrad: 'zero' })
    : new Adam(model.archParams(), { lr: cfg.archLr, beta1: cfg.archBeta1, beta2: cfg.archBeta2, weightDecay: cfg.archWeightDecay });
  const trainB = new Batcher(train, { batchSize: cfg.batchSize, seed: Rng.mix(cfg.seed ^ 0x7a1), dropLast: true, augment: cfg.augment });
  const valB = new Batcher(val, { batchSize: cfg.batchSize, seed: Rng.mix(cfg.seed ^ 0x7a2), dropLast: true, augment: cfg.augment });
  const rng = new Rng(Rng.mix(cfg.seed ^ 0x3a5));
  // checkpoint tensors: weights, BN buffers, α, then the optimisers' state (w's momentum, α's)
  const modelVars = () => [...model.weights(), ...model.buffers(), ...model.archParams()];
  const storedShapes = () => [...modelVars().map((v) => v.shape), ...wOpt.slotShapes(), ...aOpt.slotShapes()];
  const storedValues = () => [...modelVars().map((v) => v.dataSync() as Float32Array), ...wOpt.slotValues(), ...aOpt.slotValues()];
  let history: EpochRecord[] = [];
  let start = 0;
  let elapsed = 0;

  try {
    if (opts.resume && opts.outDir && hasCheckpoint(opts.outDir)) {
      const { arrays, state } = loadCheckpoint<TrainerState>(opts.outDir);
      if (JSON.stringify(state.config) !== JSON.stringify(cfg)) {
        throw new TsnasError(
          `--resume: the checkpoint in ${opts.outDir} was made with another configuration (${state.config.strategy}/${state.config.space}/${state.config.preset}, seed ${state.config.seed}, ${state.config.epochs} epochs)`,
        );
      }
      const shapes = storedShapes();
      if (arrays.length !== shapes.length) throw new TsnasError(`--resume: checkpoint holds ${arrays.length} tensors, the model has ${shapes.length}`);
      shapes.forEach((s, i) => {
        const size = s.reduce((a, b) => a * b, 1);
        if (arrays[i]!.length !== size) throw new TsnasError(`--resume: checkpoint tensor ${i} has ${arrays[i]!.length} values, expected ${size}`);
      });
      const vars = modelVars();
      vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(arrays[i]!, v.shape, 'float32'))));
      const nW = wOpt.slotShapes().length;
      wOpt.loadSlotValues(arrays.slice(vars.length, vars.length + nW));
      aOpt.loadSlotValues(arrays.slice(vars.length + nW));
      wOpt.steps = state.wStep;
      aOpt.steps = state.aStep;
      trainB.setState(state.train);
      valB.setState(state.val);
      rng.state = state.rng;
      history = state.history;
      start = state.epochsDone;
      elapsed = state.elapsed;
    }

    const steps = trainB.batchesPerEpoch;
    const step = STEPS[cfg.strategy];
    let stopped = false;
    for (let e = start; e < cfg.epochs; e++) {
      const t0 = performance.now();
      const live: Tensor[] = [];
      const take = (b: Batcher): StepBatch => {
        const { x, y } = b.next();
        live.push(x, y);
        return { x, y };
      };
      const lr = cosineLr({ base: cfg.lr, min: cfg.lrMin, epoch: e, epochs: cfg.epochs });
      const env: StepEnv = {
        model,
        wOpt,
        aOpt,
        lr,
        // α stepping like w also takes w's learning rate (the joint step (α, w) −= ξ∇).
        archLr: sgdArch ? lr : cfg.archLr,
        gradClip: cfg.gradClip,
        archActive: e >= cfg.warmupEpochs,
        nextTrain: () => take(trainB),
        nextVal: () => take(valB),
        rng,
        ms: cfg.ms ? { T: cfg.ms.T, N: cfg.ms.N, h: cfg.ms.h, eps: cfg.ms.epsStart + ((cfg.ms.epsEnd - cfg.ms.epsStart) * e) / Math.max(1, cfg.epochs - 1) } : undefined,
        counters: { backward: 0, forward: 0 },
      };
      let lossSum = 0;
      let correct = 0;
      let count = 0;
      for (let s = 0; s < steps; s++) {
        const r = step(env);
        tf.dispose(live.splice(0));
        lossSum += r.loss * r.count;
        correct += r.correct;
        count += r.count;
        opts.onStep?.({ epoch: e, step: s + 1, steps, loss: lossSum / count, acc: correct / count });
      }
      const ev = evaluate(model, val, cfg.evalBatch);
      const mode = cfg.derive ?? 'argmax';
      const derived = model.derive(mode);
      const altMode = mode === 'argmax' ? 'no-none' : 'argmax';
      const alt = cfg.space === 'nb201' ? model.derive(altMode) : undefined;
      const betas = model.edgeWeightsArray();
      const rec: EpochRecord = {
        epoch: e + 1,
        lr: env.lr,
        archActive: env.archActive,
        trainLoss: round6(lossSum / count),
        trainAcc: round6(correct / count),
        valLoss: round6(ev.loss),
        valAcc: round6(ev.acc),
        alpha: model.alphaSoftmax().map((t) => t.map((r) => r.map(round6))),
        ...(betas.length ? { beta: betas.map((b) => b.map(round6)) } : {}),
        genotype: derived.text,
        skipCount: derived.skipCount,
        paramFreeCount: derived.paramFreeCount,
        ...(opts.table ? { bench: benchOf(opts.table, derived.text) } : {}),
        ...(alt ? { altDerive: { derive: altMode, genotype: alt.text, ...(opts.table ? { bench: benchOf(opts.table, alt.text) } : {}) } } : {}),
        seconds: (performance.now() - t0) / 1000,
        numTensors: tf.memory().numTensors,
      };
      elapsed += rec.seconds;
      history.push(rec);
      opts.onEpoch?.(rec);
      if (opts.outDir) {
        const state: TrainerState = {
          config: cfg,
          epochsDone: e + 1,
          elapsed,
          wStep: wOpt.steps,
          aStep: aOpt.steps,
          train: trainB.getState(),
          val: valB.getState(),
          rng: rng.state,
          history,
        };
        saveCheckpoint(opts.outDir, e + 1, storedValues(), state);
      }
      // Yield between epochs so a Ctrl-C (SIGINT handler) can be seen by shouldStop().
      await new Promise((r) => setImmediate(r));
      const cut = opts.stopAfterEpochs !== undefined && e + 1 >= opts.stopAfterEpochs;
      if ((cut || opts.shouldStop?.()) && e + 1 < cfg.epochs) {
        stopped = true;
        break;
      }
    }
    const derived = model.derive(cfg.derive ?? 'argmax');
    return {
      genotype: derived.text,
      derived,
      epochs: history.length,
      wall_s: elapsed,
      history,
      bench: benchOf(opts.table, derived.text),
      config: cfg,
      resumedFrom: start,
      stopped,
    };
  } finally {
    wOpt.dispose();
    aOpt.dispose();
    model.dispose();
  }
}

/** Loss and accuracy over a whole split in eval mode (BN running statistics), in order. */
export function evaluate(model: SearchModel, ds: Dataset, batch: number): { loss: number; acc: number } {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < ds.n; i += batch) {
    const idx = Array.from({ length: Math.min(batch, ds.n - i) }, (_, k) => i + k);
    const b = makeBatch(ds, idx);
    const [l, c] = tf.tidy(() => {
      const out = model.loss(b.x as Tensor4D, b.y as Tensor1D, false);
      const cor = tf.sum(tf.cast(tf.equal(tf.argMax(out.logits, 1), b.y), 'int32'));
      return [out.loss.dataSync()[0]!, cor.dataSync()[0]!];
    });
    tf.dispose([b.x, b.y]);
    loss += l! * idx.length;
    correct += c!;
  }
  return { loss: loss / ds.n, acc: correct / ds.n };
}
