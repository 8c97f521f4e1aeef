/**
 * Supernet-mode TND-NAS (Lyu & Wen, arXiv 2111.03892; the mechanics of the author's development
 * code, docs/methods/multi-objective.md, TND-NAS) on NB201 or DARTS (spaces.ts): `samples` (10)
 * architectures per α step, each scored as a single-path subnet of a weight-sharing supernet on a
 * validation batch; the reward (reward.ts) and the policy update and shrinking (policy.ts,
 * darts-policy.ts) as in table mode.
 *
 * The supernet also grows depth per stage (N0 + [0, 1, 2]·dN: NB201 cells per stage, DARTS cells; the
 * author's DARTS cells: 5 + [0, 6, 12]), is built anew for each stage (as P-DARTS), and
 * its weights are trained with SGD (src/optim: momentum 0.9, wd 3e-4, cosine lr per stage) on
 * subnets sampled from the current policy (single-path; the author trains the softmax(α) mixture,
 * which costs |ops|× more on a CPU), one α step every `archEvery` weight steps, α frozen for the
 * first `warmupEpochs` of each stage's epochs (the author: 8 of 16). The result is the
 * non-dominated set of all sampled architectures, re-scored with the final supernet on a fixed
 * validation batch.
 *
 * `tndNasSupernetSteps` yields after every weight step and, with `shouldStop`, ends there with a
 * checkpoint inside the epoch; `tndNasSupernet` runs it synchronously.
 */
import { tf, type Tensor, type Tensor4D, type Variable } from '../../engine/tf.js';
import type { AnyArch } from '../../spaces/index.js';
import { makeBatch, type Batch, type Dataset } from '../../data/index.js';
import { cosineLr, Sgd } from '../../optim/index.js';
import { Rng } from '../../util/rng.js';
import { TsnasError } from '../../util/errors.js';
import { feasibleFront, type EvalRecord, type MooEvaluator } from '../moo-common.js';
import { drain, type Steps } from '../steps.js';
import { defaultTargets, tndReward } from './reward.js';
import { policyState, reinforceStep, restorePolicy, shrinkStage, tndSetup, type TndOutcome, type TndSearchOptions, type TndStepLog } from './policy.js';
import type { TndSupernetPreset } from './presets.js';
import { NB201_TND, type TndSpace, type TndSupernetNet } from './spaces.js';
import type { TndTableState } from './table.js';

export interface TndSupernetOptions extends TndSearchOptions {
  /** The space's policy and supernet (default NB201). */
  space?: TndSpace;
  preset: TndSupernetPreset;
  /** PC-DARTS partial channels K of the supernet's edges (default 1: whole channels). */
  partialChannels?: number;
  /** Training images at the preset's size (the caller downsamples). */
  data: Dataset;
  /**
   * Held-out images the final supernet re-scores every sampled architecture on (default: one
   * batch of the preset's size, drawn with replacement, as the α steps score).
   */
  rescoreImages?: number;
  /**
   * Keep the first stage's depth in every stage, so the supernet and its trained weights carry
   * over from stage to stage (the default, as P-DARTS, builds a deeper supernet afresh per stage).
   */
  fixedDepth?: boolean;
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

const f32ToBase64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const tensorToBase64 = (t: Tensor): string => f32ToBase64((t.dataSync() as Float32Array).slice());
const base64ToF32 = (s: string): Float32Array => new Float32Array(new Uint8Array(Buffer.from(s, 'base64')).buffer);

function assignBase64(v: Variable, s: string, what: string): void {
  const a = base64ToF32(s);
  if (a.length !== v.size) throw new TsnasError(`TND-NAS resume: checkpoint ${what} has ${a.length} values, the supernet ${v.size}`);
  tf.tidy(() => v.assign(tf.tensor(a, v.shape, 'float32')));
}

/** Images of a batch an architecture's single path through the supernet classifies correctly (BN in batch-statistics mode). */
function subnetCorrect(space: TndSpace, net: TndSupernetNet, a: AnyArch, x: Tensor4D, y: Tensor): number {
  return tf.tidy(() => {
    const logits = space.logits(net, a, x, { training: true });
    return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')).dataSync()[0]!;
  });
}

/** Accuracy (percent) of an architecture's single path through the supernet on a batch. */
function subnetAccuracy(space: TndSpace, net: TndSupernetNet, a: AnyArch, x: Tensor4D, y: Tensor): number {
  return (100 * subnetCorrect(space, net, a, x, y)) / x.shape[0];
}

/** The supernet's depth in a stage: N0 + stage·dN, or N0 throughout with fixedDepth. */
const stageDepth = (p: TndSupernetPreset, stage: number, fixedDepth?: boolean): number => p.N0 + (fixedDepth ? 0 : stage * p.dN);

/** Seed of the final re-scoring's images (the fixed batch, or heldOutSample's order) for a run's seed. */
export const rescoreSeed = (seed: number): number => seed * 31 + 7;

/** Labelled images on the backend, to score many architectures without uploading them again. */
export type ScoringBatch = Pick<Batch, 'x' | 'y'>;

/** The images `indices` of `data` as batches of `batch` (the caller disposes them with disposeBatches). */
export function scoringBatches(data: Dataset, indices: ArrayLike<number>, batch: number): ScoringBatch[] {
  const rows = Array.from(indices);
  const out: ScoringBatch[] = [];
  try {
    for (let lo = 0; lo < rows.length; lo += batch) out.push(makeBatch(data, rows.slice(lo, lo + batch)));
  } catch (e) {
    disposeBatches(out);
    throw e;
  }
  return out;
}

export function disposeBatches(batches: readonly ScoringBatch[]): void {
  for (const b of batches) tf.dispose([b.x, b.y]);
}

/** Accuracy (percent) of an architecture's single path through the supernet on all of `batches` (BN in batch-statistics mode, as the search scores). */
export function subnetAccuracyOnBatches(space: TndSpace, net: TndSupernetNet, a: AnyArch, batches: readonly ScoringBatch[]): number {
  let correct = 0;
  let images = 0;
  for (const b of batches) {
    correct += subnetCorrect(space, net, a, b.x, b.y);
    images += b.x.shape[0];
  }
  return (100 * correct) / images;
}

/** subnetAccuracyOnBatches of each architecture on the images `indices` of `data`, uploaded once for all of them. */
export function subnetAccuraciesOn(space: TndSpace, net: TndSupernetNet, archs: readonly AnyArch[], data: Dataset, indices: ArrayLike<number>, batch: number): number[] {
  const batches = scoringBatches(data, indices, batch);
  try {
    return archs.map((a) => subnetAccuracyOnBatches(space, net, a, batches));
  } finally {
    disposeBatches(batches);
  }
}

/**
 * The supernet a supernet-mode run had at its last checkpoint (a finished run: the final stage's,
 * after its last epoch), with its trained weights and BN statistics.
 */
export function supernetFromCheckpoint(
  space: TndSpace,
  p: TndSupernetPreset,
  state: TndSupernetState,
  shape: { numClasses: number; channels: number; partialChannels?: number; fixedDepth?: boolean },
): TndSupernetNet {
  const net = space.buildSupernet(new Rng(0), {
    C: p.C,
    depth: stageDepth(p, state.stage, shape.fixedDepth),
    numClasses: shape.numClasses,
    inputShape: [p.imageSize, p.imageSize, shape.channels],
    partialChannels: shape.partialChannels ?? 1,
  });
  try {
    restoreWeights(net, state, 'the TND-NAS checkpoint');
  } catch (e) {
    net.dispose();
    throw e;
  }
  return net;
}

/** Put a checkpoint's weights and BN buffers into a supernet of its stage (checked tensor by tensor). */
function restoreWeights(net: TndSupernetNet, state: Pick<TndSupernetState, 'weights' | 'buffers' | 'stage'>, what: string): void {
  const vars = net.weightParameters();
  const bufs = net.namedBuffers().map(([, v]) => v);
  if (state.weights.length !== vars.length || state.buffers.length !== bufs.length) {
    throw new TsnasError(`${what} holds ${state.weights.length} weight tensors, the stage-${state.stage} supernet ${vars.length}`);
  }
  vars.forEach((v, i) => assignBase64(v, state.weights[i]!, `weight ${i}`));
  bufs.forEach((v, i) => assignBase64(v, state.buffers[i]!, `buffer ${i}`));
}

/**
 * TND-NAS with supernet accuracy (NB201 or DARTS, `o.space`). The evaluator's first objective must be
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
  const space = o.space ?? NB201_TND;
  const { keep, samples, decay, cfg, rng, policy, opt } = tndSetup(o, space.policy, space.keep);
  const archOf = (c: readonly number[]) => space.archOf(c);
  const nTrain = Math.floor(o.data.n / 2);
  const valSeed = rescoreSeed(o.seed);
  let baseline = 0;
  let targets = cfg.targets;
  const log: TndStepLog[] = [];
  const stages: TndOutcome['stages'] = [];
  let net: TndSupernetNet | undefined;
  let current: { x: Tensor4D; y: Tensor } | undefined;
  setSupernetAccuracy((a) => {
    if (!net || !current || a.space !== space.name) throw new Error('supernet accuracy outside a TND-NAS run');
    return subnetAccuracy(space, net, a, current.x, current.y);
  });
  const batchFrom = (lo: number, hi: number, seed: number) => {
    const r = new Rng(seed);
    const idx = Array.from({ length: p.batch }, () => lo + r.int(hi - lo));
    return makeBatch(o.data, idx);
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
    restorePolicy(r0, policy, opt, rng);
    stage0 = r0.stage;
    epoch0 = r0.epoch;
    it0 = r0.it ?? 0;
  }
  const stoppedOutcome = (): TndSupernetOutcome => ({ policy, targets: targets ?? [], log, stages, argmax: archOf(policy.argmax()).text, frontRecords: [], rescored: new Map(), stopped: true });
  let first = true;
  const stepsPerEpoch = Math.max(1, Math.floor(nTrain / p.batch));
  const totalSteps = keep.length * p.epochsPerStage * stepsPerEpoch;
  try {
    outer: for (let stage = stage0; stage < keep.length; stage++) {
      const resumedStage = r0 !== undefined && stage === stage0;
      if (!resumedStage) stages.push(shrinkStage(policy, stage, keep[stage]!));
      const N = stageDepth(p, stage, o.fixedDepth);
      // with fixedDepth the supernet carries on with its weights; otherwise each stage's starts afresh (P-DARTS)
      if (!net || !o.fixedDepth) {
        net?.dispose();
        net = space.buildSupernet(rng.fork(100 + stage), {
          C: p.C,
          depth: N,
          numClasses: o.data.numClasses,
          inputShape: [p.imageSize, p.imageSize, o.data.channels],
          partialChannels: o.partialChannels ?? 1,
        });
      }
      const stageNet = net;
      const vars = net.weightParameters();
      const bufs = net.namedBuffers().map(([, v]) => v);
      const wOpt = new Sgd(vars, { momentum: 0.9, weightDecay: 3e-4 });
      // The whole search state, as a checkpoint inside an epoch (`it` = the next α step) or after it.
      const snapshot = (epoch: number, it?: number): TndSupernetState => ({
        stage,
        epoch,
        ...(it !== undefined ? { it } : {}),
        step,
        wstep,
        baseline,
        targets: targets ?? null,
        ...policyState(policy, opt, rng),
        log,
        stages,
        evaluations: ev.evaluations,
        weights: vars.map(tensorToBase64),
        buffers: bufs.map(tensorToBase64),
        velocity: wOpt.slotValues().map(f32ToBase64),
      });
      if (resumedStage) {
        if (r0.velocity.length !== vars.length) throw new TsnasError(`TND-NAS resume: the checkpoint holds ${r0.velocity.length} velocity tensors, the stage-${stage} supernet ${vars.length}`);
        restoreWeights(net, r0, 'TND-NAS resume: the checkpoint');
        wOpt.loadSlotValues(r0.velocity.map(base64ToF32));
      }
      o.onLog?.(`stage ${stage}: ${keep[stage]} ops per edge, ${N} ${space.name === 'nb201' ? 'cells per stage of the skeleton' : 'cells'}`);
      try {
        for (let epoch = resumedStage ? epoch0 : 0; epoch < p.epochsPerStage; epoch++) {
          const lr = cosineLr({ base: p.lr, epoch, epochs: p.epochsPerStage });
          for (let it = resumedStage && epoch === epoch0 ? it0 : 0; it < stepsPerEpoch; it++) {
            if (!first) {
              yield;
              if (o.shouldStop?.()) {
                // stopped inside the epoch: checkpoint before weight step `it` (the resumed run starts there)
                o.onCheckpoint?.(snapshot(epoch, it));
                return stoppedOutcome();
              }
            }
            first = false;
            // weight step on a subnet sampled from the policy
            const b = batchFrom(0, nTrain, o.seed * 1_000_003 + wstep++);
            const a = archOf(policy.sample(rng));
            tf.tidy(() => {
              const { grads } = tf.variableGrads(
                () => tf.losses.softmaxCrossEntropy(tf.oneHot(b.y as tf.Tensor1D, o.data.numClasses), space.logits(stageNet, a, b.x, { training: true })) as tf.Scalar,
                vars,
              );
              wOpt.step(grads, { lr }); // variables without a gradient (ops off this subnet) keep their weights and velocity
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
              const a = archOf(ch);
              const acc = subnetAccuracy(space, stageNet, a, current.x, current.y); // fresh, not the cached first value
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
            const upd = reinforceStep(policy, opt, choices, R, baseline, decay);
            baseline = upd.baseline;
            const entry = { stage, step: step++, meanReward: upd.meanReward, baseline, evaluations: ev.evaluations, entropy: policy.normalizedEntropy() };
            log.push(entry);
            o.onStep?.(entry);
            if (ev.exhausted) {
              // a budget this small ends the schedule early: say so, as the result alone would not
              const spent = ev.budgetSpent ? `the evaluation budget (${ev.budget} architectures) is spent` : `the time limit (${ev.timeLimitS} s) has passed`;
              o.onLog?.(`${spent} at stage ${stage} epoch ${epoch}: the search ends here (raise --budget or --time-limit for the whole schedule)`);
              break outer;
            }
          }
          o.onLog?.(
            `stage ${stage} epoch ${epoch}: ${wstep}/${totalSteps} weight steps, ${step} α steps, ${ev.evaluations} architectures, mean reward ${log.length ? log[log.length - 1]!.meanReward.toFixed(4) : '-'}`,
          );
          o.onCheckpoint?.(snapshot(epoch + 1));
        }
      } finally {
        wOpt.dispose();
      }
    }
    // re-score every sampled architecture with the final supernet on the same images: one fixed
    // validation batch, or --rescore-images distinct held-out ones (uploaded once for all of them)
    const scoring = o.rescoreImages !== undefined ? scoringBatches(o.data, heldOutSample(nTrain, o.data.n, o.rescoreImages, valSeed), p.batch) : [batchFrom(nTrain, o.data.n, valSeed)];
    const rescored = new Map<string, number>();
    try {
      for (const r of ev.history) {
        if (r.arch.space !== space.name) continue;
        // ops dropped from the final supernet's stage are still evaluable: the single path picks them
        const acc = subnetAccuracyOnBatches(space, net!, r.arch, scoring);
        rescored.set(r.arch.text, acc);
        yield;
        // the last epoch's checkpoint covers the training: a resumed run re-scores from the start
        if (o.shouldStop?.()) return stoppedOutcome();
      }
    } finally {
      disposeBatches(scoring);
    }
    const recs = ev.history.map((r) => ({ ...r, values: [rescored.get(r.arch.text) ?? r.values[0]!, ...r.values.slice(1)] }));
    const frontRecords = feasibleFront(recs, ev.directions);
    return { policy, targets: targets ?? [], log, stages, argmax: archOf(policy.argmax()).text, frontRecords, rescored };
  } finally {
    net?.dispose();
  }
}

/** `count` distinct rows of [lo, hi) in a seeded order (all of them when count ≥ hi − lo). */
export function heldOutSample(lo: number, hi: number, count: number, seed: number): number[] {
  const rows = Array.from({ length: hi - lo }, (_, i) => lo + i);
  new Rng(seed).shuffle(rows);
  return rows.slice(0, Math.min(count, rows.length));
}
