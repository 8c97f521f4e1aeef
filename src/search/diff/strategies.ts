/**
 * One search step of each differentiable strategy. All share the SearchModel, the SGD optimizer on
 * w and the optimizer of the architecture parameters (Adam; SGD on request); they differ in which batches they use
 * and how the architecture gradient is formed.
 *
 * - darts (Liu et al. 2019, first order): α step on a val batch, then w step on a train batch.
 * - darts2 (second order): the α gradient is taken at the unrolled weights
 *   w' = w − ξ(m·buf + ∇w L_train + wd·w) (quark0/darts architect._compute_unrolled_model, ξ = w's
 *   lr), minus ξ times a finite-difference Hessian-vector product
 *   (∇α L_train(w⁺) − ∇α L_train(w⁻)) / 2ε, w± = w ± ε∇w' L_val(w'), ε = 0.01/‖∇w' L_val(w')‖.
 *   The same train batch is used for the unroll and the following w step (as the DARTS code).
 * - single-darts (Hou et al. 2021): one backward on one train batch gives ∇w and ∇α; both step.
 * - pc-darts (Xu et al. 2020): darts first order on a partial-channel supernet with edge β,
 *   α/β updates only after the warm-up epochs.
 * - ms-darts (Hsieh et al. 2021): darts α step, then mean-shift of p = softmax(α): T rounds of N
 *   uniform perturbations in ±ε (clipped, renormalised), weights softmax(train losses) times a
 *   Gaussian kernel (bandwidth h) of the distance; w trains at the shifted p; α is untouched
 *   (the restore of the MS-DARTS code).
 */
import { tf, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D, type Variable } from '../../engine/tf.js';
import type { Rng } from '../../util/rng.js';
import { clipCoefficient, type Adam, type Sgd } from '../../optim/index.js';
import type { OpWeights, SearchModel } from './model.js';

export const STRATEGY_NAMES = ['darts', 'darts2', 'single-darts', 'pc-darts', 'ms-darts'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface StepBatch {
  x: Tensor4D;
  y: Tensor1D;
}

export interface MsParams {
  /** Mean-shift rounds per step. */
  T: number;
  /** Samples per round. */
  N: number;
  /** Kernel bandwidth. */
  h: number;
  /** Perturbation radius this epoch (annealed by the trainer). */
  eps: number;
}

export interface StepEnv {
  model: SearchModel;
  wOpt: Sgd;
  /** Adam, or SGD when α steps like w (`archOptimizer: sgd`). */
  aOpt: Adam | Sgd;
  lr: number;
  archLr: number;
  gradClip: number;
  /** False during warm-up epochs: no architecture update. */
  archActive: boolean;
  /** The caller owns the batches (disposes them after the step). */
  nextTrain(): StepBatch;
  nextVal(): StepBatch;
  rng: Rng;
  ms?: MsParams;
  /** Backward passes taken (tests spy on this). */
  counters: { backward: number; forward: number };
}

export interface StepStats {
  /** Train loss and correct count of the batch w was updated on. */
  loss: number;
  correct: number;
  count: number;
}

/** Gradients of f w.r.t. vars (null where unreached), f's value and the correct count. */
export function gradsOf(env: StepEnv, f: () => { loss: tf.Scalar; logits: Tensor }, y: Tensor1D | undefined, vars: Variable[]): { value: number; correct: number; grads: (Tensor | null)[] } {
  env.counters.backward++;
  let correct = 0;
  const { value, grads } = tf.variableGrads(() => {
    const out = f();
    if (y) correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(out.logits, 1), y), 'int32')).dataSync()[0]!);
    return out.loss;
  }, vars);
  const v = value.dataSync()[0]!;
  value.dispose();
  return { value: v, correct, grads: vars.map((p) => grads[p.name] ?? null) };
}

function disposeGrads(gs: (Tensor | null)[]): void {
  for (const g of gs) g?.dispose();
}

/** w step: clip to gradClip, SGD. */
function wStep(env: StepEnv, b: StepBatch, opWeights?: () => OpWeights): StepStats {
  const W = env.model.weights();
  const r = gradsOf(env, () => env.model.loss(b.x, b.y, true, opWeights?.()), b.y, W);
  // clipping is a gradient scale inside the SGD step (one kernel instead of one multiply per tensor)
  env.wOpt.step(r.grads, { lr: env.lr, gradScale: clipCoefficient(r.grads, env.gradClip).coef });
  disposeGrads(r.grads);
  return { loss: r.value, correct: r.correct, count: b.y.shape[0] };
}

/** First-order α step on a val batch. */
function archStepFirstOrder(env: StepEnv): void {
  const v = env.nextVal();
  const A = env.model.archParams();
  const r = gradsOf(env, () => env.model.loss(v.x, v.y, true), undefined, A);
  env.aOpt.step(r.grads, { lr: env.archLr });
  disposeGrads(r.grads);
}

export function dartsStep(env: StepEnv): StepStats {
  if (env.archActive) archStepFirstOrder(env);
  return wStep(env, env.nextTrain());
}

/**
 * The second-order architecture gradient at the current (w, α) (DARTS architect
 * `_backward_step_unrolled`). Returns new tensors aligned with archParams(); w and the BN
 * buffers are left as they were.
 */
export function secondOrderArchGrad(env: StepEnv, train: StepBatch, val: StepBatch, xi: number): Tensor[] {
  const m = env.model;
  const W = m.weights();
  const A = m.archParams();
  const B = m.buffers();
  const w0 = W.map((p) => tf.clone(p));
  const b0 = B.map((p) => tf.clone(p));
  try {
    // w' = w − ξ(momentum·buf + ∇w L_train + wd·w)
    const gT = gradsOf(env, () => m.loss(train.x, train.y, true), undefined, W);
    const useMomentum = env.wOpt.steps > 0 && env.wOpt.momentum !== 0;
    tf.tidy(() => {
      W.forEach((p, i) => {
        let d = gT.grads[i] ?? tf.zerosLike(p);
        if (env.wOpt.weightDecay) d = tf.add(d, tf.mul(w0[i]!, env.wOpt.weightDecay));
        if (useMomentum) d = tf.add(d, tf.mul(env.wOpt.velocity(i)!, env.wOpt.momentum));
        p.assign(tf.sub(w0[i]!, tf.mul(d, xi)));
      });
    });
    disposeGrads(gT.grads);
    // ∇α L_val(w', α) and ∇w' L_val(w', α)
    const gV = gradsOf(env, () => m.loss(val.x, val.y, true), undefined, [...A, ...W]);
    // The unrolled model is a copy in the DARTS code: its BN statistics do not touch the real one's.
    B.forEach((p, i) => p.assign(b0[i]!));
    const dAlpha = gV.grads.slice(0, A.length);
    const dW = gV.grads.slice(A.length);
    const norm = tf.tidy(() => Math.sqrt(tf.addN(dW.filter((g): g is Tensor => g !== null).map((g) => tf.sum(tf.square(g)))).dataSync()[0]!));
    const eps = 0.01 / norm;
    const gradAt = (sign: number): (Tensor | null)[] => {
      tf.tidy(() => W.forEach((p, i) => p.assign(dW[i] ? tf.add(w0[i]!, tf.mul(dW[i]!, sign * eps)) : w0[i]!)));
      return gradsOf(env, () => m.loss(train.x, train.y, true), undefined, A).grads;
    };
    const gp = gradAt(1);
    const gn = gradAt(-1);
    W.forEach((p, i) => p.assign(w0[i]!));
    const out = A.map((a, i) =>
      tf.tidy(() => {
        const da = dAlpha[i] ?? tf.zerosLike(a);
        const hv = tf.div(tf.sub(gp[i] ?? tf.zerosLike(a), gn[i] ?? tf.zerosLike(a)), 2 * eps);
        return tf.sub(da, tf.mul(hv, xi));
      }),
    );
    disposeGrads(gV.grads);
    disposeGrads(gp);
    disposeGrads(gn);
    return out;
  } finally {
    tf.dispose(w0);
    tf.dispose(b0);
  }
}

export function darts2Step(env: StepEnv): StepStats {
  const t = env.nextTrain();
  if (env.archActive) {
    const v = env.nextVal();
    const g = secondOrderArchGrad(env, t, v, env.lr);
    env.aOpt.step(g, { lr: env.archLr });
    tf.dispose(g);
  }
  return wStep(env, t);
}

export function singleDartsStep(env: StepEnv): StepStats {
  const t = env.nextTrain();
  const W = env.model.weights();
  const A = env.model.archParams();
  const r = gradsOf(env, () => env.model.loss(t.x, t.y, true), t.y, [...W, ...A]);
  const gW = r.grads.slice(0, W.length);
  const gA = r.grads.slice(W.length);
  const coef = clipCoefficient(gW, env.gradClip).coef;
  if (env.archActive) env.aOpt.step(gA, { lr: env.archLr });
  env.wOpt.step(gW, { lr: env.lr, gradScale: coef });
  disposeGrads(r.grads);
  return { loss: r.value, correct: r.correct, count: t.y.shape[0] };
}

/** Row-wise clip to [0, 1] and renormalise (all-zero rows become uniform). */
function clipRenorm(rows: number[][]): number[][] {
  return rows.map((r) => {
    const c = r.map((v) => Math.min(1, Math.max(0, v)));
    const s = c.reduce((a, b) => a + b, 0);
    return s > 0 ? c.map((v) => v / s) : c.map(() => 1 / c.length);
  });
}

/** Mean-shift of the op weights p (one [edges × ops] array per α tensor). Exported for tests. */
export function meanShift(env: StepEnv, b: StepBatch, p0: number[][][], ms: MsParams): number[][][] {
  let p = p0;
  for (let t = 0; t < ms.T; t++) {
    const samples: number[][][][] = [];
    const losses: number[] = [];
    for (let n = 0; n < ms.N; n++) {
      const s = p.map((rows) => clipRenorm(rows.map((r) => r.map((v) => v + (2 * env.rng.next() - 1) * ms.eps))));
      samples.push(s);
      env.counters.forward++;
      losses.push(
        tf.tidy(
          () =>
            env.model
              .loss(
                b.x,
                b.y,
                true,
                s.map((rows) => tf.tensor2d(rows) as Tensor2D),
              )
              .loss.dataSync()[0]!,
        ),
      );
    }
    const mx = Math.max(...losses);
    const ex = losses.map((l) => Math.exp(l - mx));
    const se = ex.reduce((a, c) => a + c, 0);
    const omega = ex.map((e) => e / se);
    p = p.map((rows, k) => {
      const g = samples.map((s) => {
        let d2 = 0;
        rows.forEach((r, e) => r.forEach((v, o) => (d2 += (v - s[k]![e]![o]!) ** 2)));
        return Math.exp((-0.5 * d2) / (ms.h * ms.h)) / (ms.h * Math.sqrt(2 * Math.PI));
      });
      const wts = g.map((gn, n) => gn * omega[n]!);
      const z = wts.reduce((a, c) => a + c, 0);
      return rows.map((r, e) => r.map((_, o) => samples.reduce((acc, s, n) => acc + wts[n]! * s[k]![e]![o]!, 0) / z));
    });
  }
  return p;
}

export function msDartsStep(env: StepEnv): StepStats {
  if (!env.ms) throw new Error('ms-darts needs its parameters');
  if (env.archActive) archStepFirstOrder(env);
  const t = env.nextTrain();
  const p = meanShift(env, t, env.model.alphaSoftmax(), env.ms);
  return wStep(env, t, () => p.map((rows) => tf.tensor2d(rows) as Tensor2D));
}

export const STEPS: Record<StrategyName, (env: StepEnv) => StepStats> = {
  darts: dartsStep,
  darts2: darts2Step,
  'single-darts': singleDartsStep,
  'pc-darts': dartsStep,
  'ms-darts': msDartsStep,
};
