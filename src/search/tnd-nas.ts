/**
 * TND-NAS (Lyu & Wen, arXiv 2111.03892), following the mechanics of the author's development code
 * (docs/methods/multi-objective.md, TND-NAS): architecture parameters α [edges × ops] are optimised directly by policy gradient,
 * without a controller, inside a P-DARTS-style progressive shrinking of the op set.
 *
 *   - Per edge, op ~ Categorical(softmax(α_e)) over the ops still active (masked ops have p = 0).
 *   - `samples` (10) architectures per α step, each evaluated: in the supernet with one-hot weights
 *     (supernet mode), or by the NB201 table accuracy (table mode, to benchmark the policy
 *     gradient and the shrinking cheaply).
 *   - Reward (default, `product`, MnasNet-style weighted product as in the author's code):
 *       R = acc × Π_k (obj_k / target_k[stage])^{w[stage]}
 *     acc in [0, 1]; for each further objective k a per-stage target and exponent. The author's
 *     values (params on the DARTS 20-cell network): targets [4.4, 3.2, 2.5] M, w [−0.95, −1, −1].
 *     For other objectives the targets default to the median of the first α step's samples times
 *     the author's ratios [1, 3.2/4.4, 2.5/4.4]; w is negated for objectives to maximise.
 *     Other scalarisations: `mnas-hard` (w only where obj exceeds its target, MnasNet's hard
 *     constraint) and `linear` (acc + Σ_k w_k·(obj_k/target_k − 1), w_k signed by direction).
 *     A violated constraint multiplies the reward by (1 + violation/|bound|)^−2.
 *   - Baseline (ENAS order): b ← b + 0.95·(mean R − b), then advantages R_j − b.
 *   - ∇α = mean_j (R_j − b)·∇(−Σ_e log p(op_e,j)); Adam (lr 1e-2, β (0.5, 0.999), L2 weight decay
 *     1e-3 added to the gradient after clipping its global norm to 5, as torch does).
 *   - Stages: after each stage, per edge keep the `keep[stage+1]` active ops with the largest α
 *     (NB201: 5 → 3 → 2; the author's DARTS normal cell 9 → 6 → 3 → 1).
 *   - Supernet mode also grows depth per stage (cells N0 + [0, 1, 2]·dN; the author: 5 + [0, 6, 12])
 *     and trains the supernet weights with SGD (momentum 0.9, wd 3e-4, cosine lr) on subnets sampled
 *     from the current policy (single-path; the author trains the softmax(α) mixture, which costs
 *     |ops|× more on a CPU), one α step every 4 weight steps, α frozen for the first half of each
 *     stage's epochs (the author: 8 of 16).
 * The result is the non-dominated set of all sampled architectures (supernet mode: re-scored with
 * the final supernet on a fixed validation batch).
 *
 * Both modes are also step generators (`tndNasTableSteps`, `tndNasSupernetSteps`: they yield after
 * every evaluation / weight step and, with `shouldStop`, end early there, the supernet mode with a
 * checkpoint inside the epoch); `tndNasTable` and `tndNasSupernet` run them synchronously.
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D, type Variable } from '../engine/tf.js';
import { NB201_EDGES, NB201_OPS, formatNb201, type AnyArch, type Nb201Op } from '../spaces/index.js';
import { Nb201Supernet } from '../nn/nb201-supernet.js';
import { fixedBatch, type Dataset } from '../data/index.js';
import { Rng } from '../util/rng.js';
import { median } from '../util/stats.js';
import { TsnasError } from '../util/errors.js';
import type { ArchObjective } from '../objectives/objectives.js';
import { feasibleFront, type EvalRecord, type MooEvaluator } from './moo-common.js';
import { drain, type Steps } from './steps.js';

export type Scalarisation = 'product' | 'mnas-hard' | 'linear';
export const SCALARISATIONS: readonly Scalarisation[] = ['product', 'mnas-hard', 'linear'];

/** The author's per-stage exponents and the ratios of their per-stage params targets. */
export const TND_EXPONENTS = [-0.95, -1, -1];
export const TND_TARGET_RATIOS = [1, 3.2 / 4.4, 2.5 / 4.4];

function softmaxMasked(a: readonly number[], mask: readonly boolean[]): number[] {
  let m = -Infinity;
  a.forEach((v, i) => mask[i] && (m = Math.max(m, v)));
  const e = a.map((v, i) => (mask[i] ? Math.exp(v - m) : 0));
  const s = e.reduce((x, y) => x + y, 0);
  return e.map((v) => v / s);
}

/** The categorical policy: α per edge, masks for the shrunk op set. */
export class TndPolicy {
  readonly alpha: number[][];
  readonly masks: boolean[][];

  constructor(readonly edges: number, readonly ops: number, rng?: Rng) {
    // α = 1e-3·randn as the DARTS-family code initialises it
    this.alpha = Array.from({ length: edges }, () => Array.from({ length: ops }, () => (rng ? 1e-3 * rng.normal() : 0)));
    this.masks = Array.from({ length: edges }, () => new Array<boolean>(ops).fill(true));
  }

  probs(e: number): number[] {
    return softmaxMasked(this.alpha[e]!, this.masks[e]!);
  }

  sample(rng: Rng): number[] {
    return this.alpha.map((_, e) => {
      const p = this.probs(e);
      let u = rng.next();
      for (let o = 0; o < p.length; o++) {
        u -= p[o]!;
        if (u < 0 && p[o]! > 0) return o;
      }
      return p.map((x, i) => (x > 0 ? i : -1)).filter((i) => i >= 0).pop()!;
    });
  }

  logProb(choice: readonly number[]): number {
    return choice.reduce((s, o, e) => s + Math.log(this.probs(e)[o]!), 0);
  }

  /** ∇_α log p(choice): per edge onehot(o) − p (0 on masked ops). */
  gradLogProb(choice: readonly number[]): number[][] {
    return choice.map((o, e) => this.probs(e).map((p, k) => (this.masks[e]![k] ? (k === o ? 1 : 0) - p : 0)));
  }

  /** Per edge, keep the `keep` active ops with the largest α (ties: lower op index); returns the dropped [edge, op]s. */
  shrink(keep: number): [number, number][] {
    const dropped: [number, number][] = [];
    this.alpha.forEach((row, e) => {
      const active = row.map((v, o) => ({ v, o })).filter(({ o }) => this.masks[e]![o]);
      if (keep >= active.length) return;
      active.sort((a, b) => b.v - a.v || a.o - b.o);
      for (const { o } of active.slice(Math.max(1, keep))) {
        this.masks[e]![o] = false;
        dropped.push([e, o]);
      }
    });
    return dropped;
  }

  argmax(): number[] {
    return this.alpha.map((row, e) => {
      let best = -1;
      row.forEach((v, o) => this.masks[e]![o] && (best < 0 || v > row[best]!) && (best = o));
      return best;
    });
  }
}

/** REINFORCE gradient of the loss mean_j −(R_j − b)·log p(choice_j) with respect to α. */
export function reinforceGrad(policy: TndPolicy, choices: readonly (readonly number[])[], advantages: readonly number[]): number[][] {
  const g = policy.alpha.map((r) => r.map(() => 0));
  choices.forEach((c, j) => {
    const gl = policy.gradLogProb(c);
    gl.forEach((row, e) => row.forEach((v, o) => (g[e]![o]! -= (advantages[j]! * v) / choices.length)));
  });
  return g;
}

/** Adam on plain arrays, torch semantics: L2 weight decay added to the (clipped) gradient. */
export class ArrayAdam {
  private m: number[][] | undefined;
  private v: number[][] | undefined;
  private t = 0;

  constructor(readonly lr = 1e-2, readonly beta1 = 0.5, readonly beta2 = 0.999, readonly weightDecay = 1e-3, readonly clip = 5, readonly eps = 1e-8) {}

  /** The moments and step count (for checkpoints). */
  getState(): { m: number[][] | null; v: number[][] | null; t: number } {
    return { m: this.m?.map((r) => [...r]) ?? null, v: this.v?.map((r) => [...r]) ?? null, t: this.t };
  }

  setState(s: { m: number[][] | null; v: number[][] | null; t: number }): void {
    this.m = s.m?.map((r) => [...r]);
    this.v = s.v?.map((r) => [...r]);
    this.t = s.t;
  }

  step(params: number[][], grads: number[][], masks?: readonly (readonly boolean[])[]): void {
    let norm = 0;
    for (const r of grads) for (const x of r) norm += x * x;
    norm = Math.sqrt(norm);
    const scale = this.clip > 0 && norm > this.clip ? this.clip / (norm + 1e-6) : 1;
    this.m ??= params.map((r) => r.map(() => 0));
    this.v ??= params.map((r) => r.map(() => 0));
    this.t++;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    params.forEach((row, e) =>
      row.forEach((p, o) => {
        if (masks && !masks[e]![o]) return; // dropped ops are frozen
        const g = grads[e]![o]! * scale + this.weightDecay * p;
        const m = (this.m![e]![o] = this.beta1 * this.m![e]![o]! + (1 - this.beta1) * g);
        const v = (this.v![e]![o] = this.beta2 * this.v![e]![o]! + (1 - this.beta2) * g * g);
        row[o] = p - (this.lr * (m / bc1)) / (Math.sqrt(v / bc2) + this.eps);
      }),
    );
  }
}

export interface RewardConfig {
  scalarisation: Scalarisation;
  /** Per-stage exponent magnitudes' signed values for objectives to minimise (default TND_EXPONENTS). */
  exponents: number[];
  /** targets[k][stage] for the k-th non-accuracy objective (undefined: set from the first samples). */
  targets?: number[][];
}

/** The TND-NAS reward of one architecture at a stage; `objs[0]` is the accuracy (percent). */
export function tndReward(values: readonly number[], objs: readonly ArchObjective[], targets: readonly number[][], stage: number, cfg: RewardConfig): number {
  const acc = values[0]! / 100;
  let r = acc;
  for (let k = 1; k < objs.length; k++) {
    const o = objs[k]!;
    const T = targets[k - 1]![Math.min(stage, targets[k - 1]!.length - 1)]!;
    const wMin = cfg.exponents[Math.min(stage, cfg.exponents.length - 1)]!;
    const w = o.direction === 'min' ? wMin : -wMin;
    const ratio = Math.max(values[k]!, 1e-9) / T;
    if (cfg.scalarisation === 'product') r *= ratio ** w;
    else if (cfg.scalarisation === 'mnas-hard') r *= (o.direction === 'min' ? ratio > 1 : ratio < 1) ? ratio ** w : 1;
    else r += w * (ratio - 1);
  }
  let viol = 0;
  objs.forEach((o, k) => {
    const v = o.violation(values[k]!);
    if (v > 0) viol += v / Math.max(Math.abs(o.spec.constraint!.value), 1e-9);
  });
  return viol > 0 ? r * (1 + viol) ** -2 : r;
}

export interface TndTableOptions {
  seed: number;
  /** Architectures sampled per α step (10). */
  samples?: number;
  /** α steps per stage (table mode default 40). */
  stepsPerStage?: number;
  /** Active ops per edge in each stage (NB201 default [5, 3, 2]). */
  keep?: number[];
  scalarisation?: Scalarisation;
  exponents?: number[];
  targets?: number[][];
  lr?: number;
  baselineDecay?: number;
  /** Told after every α step. */
  onStep?: (s: TndStepLog) => void;
  /** Continue from a checkpoint (the evaluator must already hold its first `evaluations` records). */
  resume?: TndTableState;
  /** Told the state after every α step. */
  onCheckpoint?: (s: TndTableState) => void;
  /** Polled after every evaluation (the step generators): true ends the run there (`stopped`). */
  shouldStop?: () => boolean;
}

/** Everything table-mode TND-NAS needs to continue after an α step. */
export interface TndTableState {
  stage: number;
  /** Next α step within the stage. */
  next: number;
  step: number;
  baseline: number;
  targets: number[][] | null;
  rng: number;
  alpha: number[][];
  masks: boolean[][];
  adam: ReturnType<ArrayAdam['getState']>;
  log: TndStepLog[];
  stages: TndOutcome['stages'];
  evaluations: number;
}

export interface TndStepLog {
  stage: number;
  step: number;
  meanReward: number;
  baseline: number;
  evaluations: number;
}

export interface TndOutcome {
  policy: TndPolicy;
  targets: number[][];
  log: TndStepLog[];
  stages: { stage: number; keep: number; dropped: string[] }[];
  argmax: string;
  /** Ended early by `shouldStop`. */
  stopped?: true;
}

const nbArch = (choice: readonly number[], ops: readonly Nb201Op[] = NB201_OPS): AnyArch => {
  const arch = { ops: choice.map((o) => ops[o]!) };
  return { space: 'nb201', arch, text: formatNb201(arch) };
};

/** Default targets: median of the first samples' values × the author's per-stage ratios (inverted for 'max'). */
function defaultTargets(objs: readonly ArchObjective[], first: readonly (readonly number[])[], stages: number): number[][] {
  return objs.slice(1).map((o, k) => {
    const med = median(first.map((v) => v[k + 1]!));
    const base = med > 0 ? med : 1e-3;
    return Array.from({ length: stages }, (_, s) => {
      const r = TND_TARGET_RATIOS[Math.min(s, TND_TARGET_RATIOS.length - 1)]!;
      return o.direction === 'min' ? base * r : base / r;
    });
  });
}

/** Defaults and state shared by both TND-NAS modes: kept ops per stage, samples, baseline decay, reward, policy, Adam. */
function tndSetup(o: Omit<TndTableOptions, 'stepsPerStage' | 'resume' | 'onCheckpoint' | 'shouldStop'>) {
  const rng = new Rng(o.seed);
  const cfg: RewardConfig = { scalarisation: o.scalarisation ?? 'product', exponents: o.exponents ?? TND_EXPONENTS, targets: o.targets };
  return {
    keep: o.keep ?? [5, 3, 2],
    samples: o.samples ?? 10,
    decay: o.baselineDecay ?? 0.95,
    cfg,
    rng,
    policy: new TndPolicy(NB201_EDGES.length, NB201_OPS.length, rng.fork(1)),
    opt: new ArrayAdam(o.lr ?? 1e-2),
  };
}

/**
 * TND-NAS on NB201 with table accuracy: the evaluator's first objective must be an accuracy to
 * maximise (percent); the others enter the reward. Stops at the evaluator's budget (distinct
 * architectures) or after stages × stepsPerStage α steps.
 */
export function tndNasTable(ev: MooEvaluator, o: TndTableOptions): TndOutcome {
  return drain(tndNasTableSteps(ev, o));
}

/** Table-mode TND-NAS as a step generator: yields after every evaluation. */
export function* tndNasTableSteps(ev: MooEvaluator, o: TndTableOptions): Steps<TndOutcome> {
  const objs = ev.objectives;
  if (objs[0]!.direction !== 'max') throw new TsnasError('tnd-nas: the first objective must be an accuracy (or score) to maximise');
  const { keep, samples, decay, cfg, rng, policy, opt } = tndSetup(o);
  const steps = o.stepsPerStage ?? 40;
  let baseline = 0;
  let targets = cfg.targets;
  let log: TndStepLog[] = [];
  let stages: TndOutcome['stages'] = [];
  let step = 0;
  let stage0 = 0;
  let next0 = 0;
  if (o.resume) {
    const r = o.resume;
    if (ev.evaluations !== r.evaluations) throw new TsnasError(`TND-NAS resume: the evaluator holds ${ev.evaluations} evaluations, the checkpoint ${r.evaluations}`);
    ({ baseline, step, log, stages } = r);
    targets = r.targets ?? undefined;
    rng.state = r.rng;
    r.alpha.forEach((row, e) => row.forEach((v, k) => (policy.alpha[e]![k] = v)));
    r.masks.forEach((row, e) => row.forEach((v, k) => (policy.masks[e]![k] = v)));
    opt.setState(r.adam);
    stage0 = r.stage;
    next0 = r.next;
  }
  outer: for (let stage = stage0; stage < keep.length; stage++) {
    const resumedStage = o.resume !== undefined && stage === stage0;
    if (!resumedStage) {
      const dropped = policy.shrink(keep[stage]!);
      stages.push({ stage, keep: keep[stage]!, dropped: dropped.map(([e, k]) => `edge ${e}: ${NB201_OPS[k]}`) });
    }
    for (let s = resumedStage ? next0 : 0; s < steps; s++) {
      const choices: number[][] = [];
      const recs: EvalRecord[] = [];
      for (let j = 0; j < samples; j++) {
        const c = policy.sample(rng);
        const rec = ev.evaluate(nbArch(c));
        if (!rec) break outer; // budget spent
        choices.push(c);
        recs.push(rec);
        yield;
        // the evaluations after the last checkpoint are trials: a resumed run replays this α step with their values
        if (o.shouldStop?.()) return { policy, targets: targets ?? [], log, stages, argmax: nbArch(policy.argmax()).text, stopped: true };
      }
      targets ??= defaultTargets(objs, recs.map((r) => r.values), keep.length);
      const R = recs.map((r) => tndReward(r.values, objs, targets!, stage, cfg));
      const meanR = R.reduce((a, b) => a + b, 0) / R.length;
      baseline += decay * (meanR - baseline);
      const g = reinforceGrad(policy, choices, R.map((r) => r - baseline));
      opt.step(policy.alpha, g, policy.masks);
      const entry = { stage, step: step++, meanReward: meanR, baseline, evaluations: ev.evaluations };
      log.push(entry);
      o.onCheckpoint?.({
        stage, next: s + 1, step, baseline, targets: targets ?? null, rng: rng.state, alpha: policy.alpha, masks: policy.masks,
        adam: opt.getState(), log, stages, evaluations: ev.evaluations,
      });
      o.onStep?.(entry);
    }
  }
  return { policy, targets: targets ?? [], log, stages, argmax: nbArch(policy.argmax()).text };
}

/** Exact E_{p_α}[R] over every cell the policy can sample (table mode; 5^6 cells at most). */
export function expectedReward(policy: TndPolicy, reward: (choice: number[]) => number): number {
  const E = policy.edges;
  const probs = Array.from({ length: E }, (_, e) => policy.probs(e));
  let total = 0;
  const choice = new Array<number>(E).fill(0);
  const rec = (e: number, p: number): void => {
    if (p === 0) return;
    if (e === E) {
      total += p * reward(choice);
      return;
    }
    for (let k = 0; k < policy.ops; k++) {
      choice[e] = k;
      rec(e + 1, p * probs[e]![k]!);
    }
  };
  rec(0, 1);
  return total;
}

export { nbArch as nb201ArchOfChoice };

// ---------------------------------------------------------------------------------------------
// Supernet mode

export interface TndSupernetPreset {
  name: string;
  C: number;
  /** Cells per stage: N0 + stage·dN. */
  N0: number;
  dN: number;
  imageSize: number;
  /** Training images (split in half: weights / α + final scoring). */
  dataLimit: number;
  batch: number;
  epochsPerStage: number;
  /** Epochs per stage with α frozen (the author: 8 of 16). */
  warmupEpochs: number;
  lr: number;
  /** Weight steps per α step (4). */
  archEvery: number;
}

/**
 * `paper`: the author's schedule on NB201's skeleton (C 16, N 5 → 7 → 9 as P-DARTS grows depth,
 * 32 px, 16 epochs per stage with 8 warm-up, batch 64, lr 0.04). `cpu-small`: C 8, N 1 → 2 → 3,
 * 16 px, 2,000 images, 2 epochs per stage (1 warm-up), batch 32: a few minutes on 2 cores.
 * `tiny`: smoke tests.
 */
export const TND_PRESETS: Record<string, TndSupernetPreset> = {
  paper: { name: 'paper', C: 16, N0: 5, dN: 2, imageSize: 32, dataLimit: 50000, batch: 64, epochsPerStage: 16, warmupEpochs: 8, lr: 0.04, archEvery: 4 },
  'cpu-small': { name: 'cpu-small', C: 8, N0: 1, dN: 1, imageSize: 16, dataLimit: 2000, batch: 32, epochsPerStage: 2, warmupEpochs: 1, lr: 0.04, archEvery: 4 },
  tiny: { name: 'tiny', C: 4, N0: 1, dN: 0, imageSize: 8, dataLimit: 128, batch: 16, epochsPerStage: 2, warmupEpochs: 1, lr: 0.04, archEvery: 2 },
};

export interface TndSupernetOptions extends Omit<TndTableOptions, 'stepsPerStage' | 'resume' | 'onCheckpoint'> {
  preset: TndSupernetPreset;
  /** Training images at the preset's size (the caller downsamples). */
  data: Dataset;
  onLog?: (msg: string) => void;
  /** Continue from a checkpoint (the evaluator must already hold its first `evaluations` records). */
  resume?: TndSupernetState;
  /**
   * Told the state after every epoch (supernet weights and momentum included), and inside the
   * epoch when `shouldStop` ends the run (polled after every weight step).
   */
  onCheckpoint?: (s: TndSupernetState) => void;
}

/** Everything supernet-mode TND-NAS needs to continue after an epoch; tensors as base64 float32. */
export interface TndSupernetState extends Omit<TndTableState, 'next'> {
  /** Next epoch within the stage. */
  epoch: number;
  /** Next weight step within that epoch (a checkpoint written when stopped inside it; absent: 0). */
  it?: number;
  wstep: number;
  weights: string[];
  buffers: string[];
  velocity: string[];
}

const f32ToBase64 = (t: Tensor): string => Buffer.from((t.dataSync() as Float32Array).slice().buffer).toString('base64');

function assignBase64(v: Variable, s: string, what: string): void {
  const bytes = new Uint8Array(Buffer.from(s, 'base64'));
  if (bytes.length !== 4 * v.size) throw new TsnasError(`TND-NAS resume: checkpoint ${what} has ${bytes.length / 4} values, the supernet ${v.size}`);
  tf.tidy(() => v.assign(tf.tensor(new Float32Array(bytes.buffer), v.shape, 'float32')));
}

function oneHot(choice: readonly number[], ops: number): Tensor2D {
  const w = new Float32Array(choice.length * ops);
  choice.forEach((o, e) => (w[e * ops + o] = 1));
  return tf.tensor2d(w, [choice.length, ops]);
}

/** Accuracy (percent) of a one-hot subnet of the supernet on a batch (BN in batch-statistics mode). */
function subnetAccuracy(net: Nb201Supernet, choice: readonly number[], x: Tensor4D, y: Tensor): number {
  return tf.tidy(() => {
    const w = oneHot(choice, NB201_OPS.length);
    const masks = choice.map((o) => NB201_OPS.map((_, k) => k === o));
    const logits = net.forwardFull(x, { training: true }, { weights: w, masks }).logits;
    const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')).dataSync()[0]!;
    return (100 * correct) / x.shape[0];
  });
}

/**
 * TND-NAS with supernet accuracy on NB201. The evaluator's first objective must be
 * `accuracy:supernet` (its value: the one-hot subnet's accuracy on a validation batch when first
 * sampled; the final front is re-scored with the last supernet on a fixed validation batch).
 */
export function tndNasSupernet(ev: MooEvaluator, o: TndSupernetOptions, setSupernetAccuracy: (f: (a: AnyArch) => number) => void): TndSupernetOutcome {
  return drain(tndNasSupernetSteps(ev, o, setSupernetAccuracy));
}

export type TndSupernetOutcome = TndOutcome & { frontRecords: EvalRecord[]; rescored: Map<string, number> };

/**
 * Supernet-mode TND-NAS as a step generator: yields after every weight step (with its α step) and
 * every re-scored architecture. Stopped inside an epoch, it checkpoints there first (onCheckpoint
 * with `it`); stopped while re-scoring, the last epoch's checkpoint already covers everything.
 */
export function* tndNasSupernetSteps(ev: MooEvaluator, o: TndSupernetOptions, setSupernetAccuracy: (f: (a: AnyArch) => number) => void): Steps<TndSupernetOutcome> {
  const p = o.preset;
  const objs = ev.objectives;
  const { keep, samples, decay, cfg, rng, policy, opt } = tndSetup(o);
  const nTrain = Math.floor(o.data.n / 2);
  const valSeed = o.seed * 31 + 7;
  let baseline = 0;
  let targets = cfg.targets;
  const log: TndStepLog[] = [];
  const stages: TndOutcome['stages'] = [];
  let net: Nb201Supernet | undefined;
  let current: { x: Tensor4D; y: Tensor } | undefined;
  setSupernetAccuracy((a) => {
    if (!net || !current || a.space !== 'nb201') throw new Error('supernet accuracy outside a TND-NAS run');
    return subnetAccuracy(net, a.arch.ops.map((op) => NB201_OPS.indexOf(op)), current.x, current.y);
  });
  const batchFrom = (lo: number, hi: number, seed: number) => {
    const r = new Rng(seed);
    const idx = Array.from({ length: p.batch }, () => lo + r.int(hi - lo));
    const b = fixedBatchOf(o.data, idx);
    return b;
  };
  let step = 0;
  let wstep = 0;
  let stage0 = 0;
  let epoch0 = 0;
  let it0 = 0;
  const r0 = o.resume;
  if (r0) {
    if (ev.evaluations !== r0.evaluations) throw new TsnasError(`TND-NAS resume: the evaluator holds ${ev.evaluations} evaluations, the checkpoint ${r0.evaluations}`);
    baseline = r0.baseline;
    targets = r0.targets ?? undefined;
    log.push(...r0.log);
    stages.push(...r0.stages);
    step = r0.step;
    wstep = r0.wstep;
    rng.state = r0.rng;
    r0.alpha.forEach((row, e) => row.forEach((v, k) => (policy.alpha[e]![k] = v)));
    r0.masks.forEach((row, e) => row.forEach((v, k) => (policy.masks[e]![k] = v)));
    opt.setState(r0.adam);
    stage0 = r0.stage;
    epoch0 = r0.epoch;
    it0 = r0.it ?? 0;
  }
  const stoppedOutcome = (): TndSupernetOutcome => ({ policy, targets: targets ?? [], log, stages, argmax: nbArch(policy.argmax()).text, frontRecords: [], rescored: new Map(), stopped: true });
  let first = true;
  const stepsPerEpoch = Math.max(1, Math.floor(nTrain / p.batch));
  const totalSteps = keep.length * p.epochsPerStage * stepsPerEpoch;
  try {
    outer: for (let stage = stage0; stage < keep.length; stage++) {
      const resumedStage = r0 !== undefined && stage === stage0;
      if (!resumedStage) {
        const dropped = policy.shrink(keep[stage]!);
        stages.push({ stage, keep: keep[stage]!, dropped: dropped.map(([e, k]) => `edge ${e}: ${NB201_OPS[k]}`) });
      }
      net?.dispose();
      const N = p.N0 + stage * p.dN;
      net = new Nb201Supernet(rng.fork(100 + stage), { C: p.C, N, numClasses: o.data.numClasses, inputShape: [p.imageSize, p.imageSize, o.data.channels] });
      const vars = net.weightParameters();
      const bufs = net.namedBuffers().map(([, v]) => v);
      const vel: Tensor[] = vars.map((v) => tf.zerosLike(v) as Tensor);
      if (resumedStage) {
        if (r0.weights.length !== vars.length || r0.buffers.length !== bufs.length || r0.velocity.length !== vars.length) {
          throw new TsnasError(`TND-NAS resume: the checkpoint holds ${r0.weights.length} weight tensors, the stage-${stage} supernet ${vars.length}`);
        }
        vars.forEach((v, i) => assignBase64(v, r0.weights[i]!, `weight ${i}`));
        bufs.forEach((v, i) => assignBase64(v, r0.buffers[i]!, `buffer ${i}`));
        vel.forEach((t, i) => {
          const bytes = new Uint8Array(Buffer.from(r0.velocity[i]!, 'base64'));
          vel[i] = tf.tensor(new Float32Array(bytes.buffer), t.shape, 'float32');
          t.dispose();
        });
      }
      o.onLog?.(`stage ${stage}: ${keep[stage]} ops per edge, ${N} cells per stage of the skeleton`);
      try {
        for (let epoch = resumedStage ? epoch0 : 0; epoch < p.epochsPerStage; epoch++) {
          const lr = 0.5 * p.lr * (1 + Math.cos((Math.PI * epoch) / p.epochsPerStage));
          for (let it = resumedStage && epoch === epoch0 ? it0 : 0; it < stepsPerEpoch; it++) {
            if (!first) {
              yield;
              if (o.shouldStop?.()) {
                // stopped inside the epoch: checkpoint before weight step `it` (the resumed run starts there)
                o.onCheckpoint?.({
                  stage, epoch, it, step, wstep, baseline, targets: targets ?? null, rng: rng.state, alpha: policy.alpha, masks: policy.masks,
                  adam: opt.getState(), log, stages, evaluations: ev.evaluations,
                  weights: vars.map(f32ToBase64), buffers: bufs.map(f32ToBase64), velocity: vel.map(f32ToBase64),
                });
                return stoppedOutcome();
              }
            }
            first = false;
            // weight step on a subnet sampled from the policy
            const b = batchFrom(0, nTrain, o.seed * 1_000_003 + wstep++);
            const c = policy.sample(rng);
            tf.tidy(() => {
              const w = oneHot(c, NB201_OPS.length);
              const masks = c.map((k) => NB201_OPS.map((_, q) => q === k));
              const { grads } = tf.variableGrads(
                () => tf.losses.softmaxCrossEntropy(tf.oneHot(b.y as tf.Tensor1D, o.data.numClasses), net!.forwardFull(b.x, { training: true }, { weights: w, masks }).logits) as tf.Scalar,
                vars,
              );
              vars.forEach((v: Variable, i) => {
                const g = grads[v.name];
                if (!g) return;
                const gd = tf.add(g, tf.mul(v, 3e-4));
                const nv = tf.add(tf.mul(vel[i]!, 0.9), gd);
                vel[i]!.dispose();
                vel[i] = tf.keep(nv);
                v.assign(tf.sub(v, tf.mul(nv, lr)));
              });
            });
            b.x.dispose();
            b.y.dispose();
            if (epoch < p.warmupEpochs || it % p.archEvery !== p.archEvery - 1) continue;
            // α step: `samples` one-hot subnets on one validation batch
            current = batchFrom(nTrain, o.data.n, o.seed * 7_919 + step);
            const choices: number[][] = [];
            const recs: EvalRecord[] = [];
            const accs: number[] = [];
            for (let j = 0; j < samples; j++) {
              const ch = policy.sample(rng);
              const a = nbArch(ch);
              const acc = subnetAccuracy(net, ch, current.x, current.y); // fresh, not the cached first value
              const rec = ev.evaluate(a);
              if (!rec) break;
              choices.push(ch);
              recs.push(rec);
              accs.push(acc);
            }
            current.x.dispose();
            current.y.dispose();
            current = undefined;
            if (choices.length === 0) break outer;
            const vals = recs.map((r, j) => [accs[j]!, ...r.values.slice(1)]);
            targets ??= defaultTargets(objs, vals, keep.length);
            const R = vals.map((v) => tndReward(v, objs, targets!, stage, cfg));
            const meanR = R.reduce((a, b2) => a + b2, 0) / R.length;
            baseline += decay * (meanR - baseline);
            opt.step(policy.alpha, reinforceGrad(policy, choices, R.map((r) => r - baseline)), policy.masks);
            const entry = { stage, step: step++, meanReward: meanR, baseline, evaluations: ev.evaluations };
            log.push(entry);
            o.onStep?.(entry);
            if (ev.exhausted) break outer;
          }
          o.onLog?.(`stage ${stage} epoch ${epoch}: ${wstep}/${totalSteps} weight steps, ${step} α steps, ${ev.evaluations} architectures, mean reward ${log.length ? log[log.length - 1]!.meanReward.toFixed(4) : '-'}`);
          o.onCheckpoint?.({
            stage, epoch: epoch + 1, step, wstep, baseline, targets: targets ?? null, rng: rng.state, alpha: policy.alpha, masks: policy.masks,
            adam: opt.getState(), log, stages, evaluations: ev.evaluations,
            weights: vars.map(f32ToBase64), buffers: bufs.map(f32ToBase64), velocity: vel.map(f32ToBase64),
          });
        }
      } finally {
        for (const v of vel) v.dispose();
      }
    }
    // re-score every sampled architecture with the final supernet on a fixed validation batch
    const fixed = batchFrom(nTrain, o.data.n, valSeed);
    const rescored = new Map<string, number>();
    try {
      for (const r of ev.history) {
        if (r.arch.space !== 'nb201') continue;
        const ch = r.arch.arch.ops.map((op) => NB201_OPS.indexOf(op));
        // ops dropped from the final supernet's stage are still evaluable: one-hot picks them
        rescored.set(r.arch.text, subnetAccuracy(net!, ch, fixed.x, fixed.y));
        yield;
        // the last epoch's checkpoint covers the training: a resumed run re-scores from the start
        if (o.shouldStop?.()) return stoppedOutcome();
      }
    } finally {
      fixed.x.dispose();
      fixed.y.dispose();
    }
    const recs = ev.history.map((r) => ({ ...r, values: [rescored.get(r.arch.text) ?? r.values[0]!, ...r.values.slice(1)] }));
    const frontRecords = feasibleFront(recs, ev.directions);
    return { policy, targets: targets ?? [], log, stages, argmax: nbArch(policy.argmax()).text, frontRecords, rescored };
  } finally {
    net?.dispose();
  }
}

function fixedBatchOf(ds: Dataset, idx: number[]): { x: Tensor4D; y: Tensor } {
  const { h, w, c } = { h: ds.height, w: ds.width, c: ds.channels };
  const per = h * w * c;
  const x = new Float32Array(idx.length * per);
  const y = new Int32Array(idx.length);
  idx.forEach((i, j) => {
    for (let k = 0; k < per; k++) {
      const ch = k % c;
      x[j * per + k] = (ds.images[i * per + k]! - ds.mean[ch]!) / ds.std[ch]!;
    }
    y[j] = ds.labels[i]!;
  });
  return { x: tf.tensor4d(x, [idx.length, h, w, c]), y: tf.tensor1d(y, 'int32') };
}
void fixedBatch;
