/**
 * The zero-cost proxy suite, each as its reference code computes it:
 *
 * - grad_norm, snip, synflow: Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021
 *   (code SamsungLabs/zero-cost-nas, foresight/pruners/measures). Per-weight metrics over the weights
 *   of conv and linear layers only (no biases, no BN), summed over the network.
 *   - grad_norm = Σ_layers ‖∂L/∂W‖₂ with L the cross-entropy of the batch.
 *   - snip (Lee et al., ICLR 2019) = Σ |W ⊙ ∂L/∂W|.
 *   - synflow (Tanaka et al., NeurIPS 2020) = Σ |W ⊙ ∂R/∂W|, R = Σ f(1) with every parameter
 *     replaced by its absolute value, BN removed (zero-cost-nas uses `bn=False` for synflow), one
 *     all-ones input, in float64. Here: in float32 with exact power-of-two rescaling at the network's
 *     cuts (below), summed in float64, and reported as ln(1 + Σ) so that values of 1e30–1e300 stay
 *     finite and disconnected networks (R ≡ 0) score 0, the value zero-cost-nas gives them.
 * - jacob_cov: Mellor et al., NASWOT arXiv v1 (2020): J = ∂Σf(x)/∂x per sample, C = corrcoef(J),
 *   score = −Σ_i [ln(λ_i + k) + 1/(λ_i + k)], k = 1e-5, over C's eigenvalues.
 * - zen: Lin et al., "Zen-NAS", ICCV 2021 (idstcv/ZenNAS compute_zen_score.py): weights ~ N(0,1),
 *   BN in train mode, Δ = mean_b Σ|f(x) − f(x + 0.01·ε)| on the pre-GAP feature map,
 *   score = ln Δ + Σ_BN ln √mean(running_var). Gaussian inputs (x, ε ~ N(0,1)).
 * - params: trainable parameters in millions (NB201's counter); flops: MFLOPs per image.
 */
import { tf, type Tensor, type Tensor4D, type Variable } from '../engine/tf.js';
import type { Network } from '../nn/network.js';
import { Rng } from '../util/rng.js';
import { corrcoef, symEigenvalues } from './linalg.js';

/** Weights of conv and linear layers (rank ≥ 2 `weight` tensors), as zero-cost-nas selects them. */
export function prunableWeights(net: Network): [string, Variable][] {
  return net.namedParameters().filter(([n, v]) => /(^|\.)weight$/.test(n) && v.rank >= 2);
}

function crossEntropy(logits: Tensor, y: Tensor, numClasses: number): Tensor {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, numClasses), logits);
}

/** Gradients of the batch's cross-entropy w.r.t. the prunable weights (BN in train mode); the caller disposes them. */
export function lossGrads(net: Network, x: Tensor4D, y: Tensor, numClasses: number): { w: Variable; g: Tensor }[] {
  const ws = prunableWeights(net).map(([, v]) => v);
  const { value, grads } = tf.variableGrads(() => crossEntropy(net.forward(x, { training: true }), y, numClasses) as tf.Scalar, ws);
  value.dispose();
  // Weights that cannot reach the loss (e.g. behind a `none` edge) get no entry: their gradient is 0.
  return ws.flatMap((w) => (grads[w.name] ? [{ w, g: grads[w.name]! }] : []));
}

function withLossGrads(net: Network, x: Tensor4D, y: Tensor, numClasses: number, f: (gs: { w: Variable; g: Tensor }[]) => number): number {
  const gs = lossGrads(net, x, y, numClasses);
  try {
    return f(gs);
  } finally {
    for (const { g } of gs) g.dispose();
  }
}

export function gradNorm(net: Network, x: Tensor4D, y: Tensor, numClasses: number): number {
  return withLossGrads(net, x, y, numClasses, gradNormOf);
}

/** grad_norm from the loss gradients (lossGrads), which it leaves undisposed. */
export function gradNormOf(gs: readonly { g: Tensor }[]): number {
  let s = 0;
  for (const { g } of gs) {
    const d = g.dataSync();
    let ss = 0;
    for (let i = 0; i < d.length; i++) ss += d[i]! * d[i]!;
    s += Math.sqrt(ss);
  }
  return s;
}

export function snip(net: Network, x: Tensor4D, y: Tensor, numClasses: number): number {
  return withLossGrads(net, x, y, numClasses, snipOf);
}

/** snip from the loss gradients (lossGrads), which it leaves undisposed. */
export function snipOf(gs: readonly { w: Variable; g: Tensor }[]): number {
  let s = 0;
  for (const { w, g } of gs) {
    const wd = w.dataSync();
    const gd = g.dataSync();
    for (let i = 0; i < gd.length; i++) s += Math.abs(wd[i]! * gd[i]!);
  }
  return s;
}

/** Prefixes (`a.b.`) of the BatchNorm modules, found by their running_mean buffers. */
function bnPrefixes(net: Network): Set<string> {
  return new Set(
    net
      .namedBuffers()
      .filter(([n]) => n.endsWith('running_mean'))
      .map(([n]) => n.slice(0, -'running_mean'.length)),
  );
}

/**
 * synflow with BN removed and biases dropped: Σ|W ⊙ ∂R/∂W|, R = Σ f(1) with |W| everywhere. BN
 * "removed" = BN in eval mode with mean 0, var 1 − ε, γ = 1, β = 0: exactly the identity. Biases
 * never enter Σ|W ⊙ ∂R/∂W| (R is linear in the last layer, whose bias only shifts it), so zeroing
 * them is exact. Returned as ln(1 + Σ).
 *
 * Without BN and biases, with |W| everywhere and a positive input, every ReLU is the identity and
 * every op (conv, linear, sum, concat, average and max pooling) is positively homogeneous of degree 1:
 * f(c·x) = c·f(x) for c > 0. So at a cut of the network (`ForwardHooks.cut`: tensors every path
 * to the output passes through) scaling the tensors by a constant c scales R, and every ∂R/∂W, by
 * exactly c. The pass scales by a power of two at every cut, so that the cut's largest value is in
 * [1, 2), with the factors held constant (not differentiated): it computes R·Πc and ∂R/∂W·Πc, and
 * ln Σ = ln Σ|W ⊙ ∂(R·Πc)/∂W| − Σ ln c. Multiplying by a power of two is exact in floating point, so
 * the float32 pass gives the bits an unscaled float32 pass would give with an unbounded exponent:
 * R of 1e100 and beyond (20-cell DARTS networks) stays finite, where a single global scale
 * (`synflowGlobal`) runs out of float32's range at about 1e68.
 *
 * A weaker shortcut does not hold: Σ_{W in layer l} W·∂R/∂W is the sum of the paths through
 * layer l, not R, once skip connections give paths of different depths, so Σ is not (layers)·R.
 */
export function synflow(net: Network): number {
  return withAbsWeights(net, () => {
    const [h, w, c] = net.inputShape;
    let log2Scale = 0;
    let cuts = 0;
    const cut = (xs: Tensor4D[]): Tensor4D[] => {
      cuts++;
      let m = 0;
      for (const x of xs) m = Math.max(m, tf.max(x).dataSync()[0]!);
      if (!(m > 0) || !Number.isFinite(m)) return xs; // all zero (R ≡ 0 from here) or already broken
      const e = Math.floor(Math.log2(m));
      log2Scale += e;
      return e === 0 ? xs : xs.map((x) => tf.mul(x, 2 ** -e));
    };
    const ws = prunableWeights(net).map(([, v]) => v);
    const { value, grads } = tf.variableGrads(() => tf.sum(net.forward(tf.ones([1, h, w, c]) as Tensor4D, { training: false, hooks: { cut } })) as tf.Scalar, ws);
    value.dispose();
    const s = sumAbsWeightGrad(ws, grads);
    if (cuts === 0) return synflowGlobal(net); // a network without cuts: one global scale
    return lnOnePlusExp(Math.log(s) + log2Scale * Math.LN2, s);
  });
}

/** Σ W·|∂/∂W| in float64 over the weights, disposing the gradients (an absent one is zero). */
function sumAbsWeightGrad(ws: readonly Variable[], grads: tf.NamedTensorMap): number {
  let s = 0;
  for (const v of ws) {
    const g = grads[v.name];
    if (!g) continue; // unreachable weight: zero gradient
    const gd = g.dataSync();
    const wd = v.dataSync();
    for (let i = 0; i < gd.length; i++) s += wd[i]! * Math.abs(gd[i]!);
    g.dispose();
  }
  return s;
}

/** ln(1 + e^x) computed stably; 0 where the sum `s` behind x is 0 (R ≡ 0), NaN where it is not a number. */
function lnOnePlusExp(x: number, s: number): number {
  if (!(s > 0)) return s === 0 ? 0 : NaN;
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Runs f with |W| everywhere, BN the identity and biases 0, then restores every parameter and buffer. */
function withAbsWeights<T>(net: Network, f: () => T): T {
  const saved = new Map<Variable, Tensor>();
  const all: [string, Variable][] = [...net.namedParameters(), ...net.namedBuffers()];
  const bns = bnPrefixes(net);
  const bnOf = (n: string) => [...bns].find((p) => n.startsWith(p) && !n.slice(p.length).includes('.'));
  try {
    for (const [n, v] of all) {
      saved.set(v, v.clone());
      const p = bnOf(n);
      const leaf = p !== undefined ? n.slice(p.length) : '';
      tf.tidy(() => {
        if (p !== undefined && leaf === 'weight') v.assign(tf.onesLike(v));
        else if (p !== undefined && (leaf === 'bias' || leaf === 'running_mean')) v.assign(tf.zerosLike(v));
        else if (p !== undefined && leaf === 'running_var') v.assign(tf.fill(v.shape, 1 - 1e-5));
        else if (/(^|\.)bias$/.test(n)) v.assign(tf.zerosLike(v));
        else v.assign(tf.abs(v));
      });
    }
    return f();
  } finally {
    for (const [v, t] of saved) {
      v.assign(t);
      t.dispose();
    }
  }
}

/**
 * synflow for a network that calls no `cut` hook, on weights already made absolute: the network is
 * linear in its input, R(α·1) = α·R(1), and the gradient of β·R is β·∂R, so the pass runs at input
 * scale α and output scale β chosen from a probe pass so that activations and gradients both stay
 * inside float32's range, and the exact per-weight terms are recovered by dividing by α·β. One scale
 * for the whole network: R beyond about 1e68 overflows the probe (NaN).
 */
function synflowGlobal(net: Network): number {
  const [h, w, c] = net.inputShape;
  const probeAlpha = 1e-30;
  const probe = tf.tidy(() => tf.sum(net.forward(tf.fill([1, h, w, c], probeAlpha) as Tensor4D, { training: false })).dataSync()[0]!);
  if (!(probe > 0)) return probe === 0 ? 0 : NaN;
  if (!Number.isFinite(probe)) return NaN;
  const g10 = Math.log10(probe) + 30; // log10 R(1)
  const alpha = 10 ** (-g10 / 2);
  const beta = 10 ** (-g10 / 2);
  const ws = prunableWeights(net).map(([, v]) => v);
  const { value, grads } = tf.variableGrads(() => tf.mul(tf.sum(net.forward(tf.fill([1, h, w, c], alpha) as Tensor4D, { training: false })), beta) as tf.Scalar, ws);
  value.dispose();
  const s = sumAbsWeightGrad(ws, grads);
  // Σ|W ⊙ ∂R/∂W| = s / (αβ)
  return lnOnePlusExp(Math.log(s) - Math.log(alpha) - Math.log(beta), s);
}

/** jacob_cov (NASWOT v1): eigenvalue score of the correlation of the per-sample input Jacobians. */
export function jacobCov(net: Network, x: Tensor4D): number {
  const jac = tf.tidy(() => tf.grad((xi: Tensor) => tf.sum(net.forward(xi as Tensor4D, { training: true })))(x));
  const d = jac.dataSync();
  const b = x.shape[0];
  jac.dispose();
  const corr = corrcoef(d, b, d.length / b);
  for (let i = 0; i < corr.length; i++) if (!Number.isFinite(corr[i]!)) return NaN;
  const ev = symEigenvalues(corr, b);
  const k = 1e-5;
  let s = 0;
  for (const v of ev) s += Math.log(v + k) + 1 / (v + k);
  return -s;
}

/**
 * Zen-score on a separate network (it re-initialises weights). The pre-GAP feature map is the
 * output of the last ReLU where the network says it pools it (`Network.poolsLastRelu`; NB201:
 * lastact BN-ReLU); for other networks (DARTS cells end in a concat) the logits are used instead:
 * documented approximation.
 */
export function zen(net: Network, batch: number, seed: number, mixupGamma = 1e-2): number {
  const rng = new Rng(seed ^ 0x2e7);
  for (const [n, v] of net.namedParameters()) {
    const isBnOrBias = v.rank < 2;
    if (!isBnOrBias) {
      const data = new Float32Array(v.size);
      for (let i = 0; i < data.length; i++) data[i] = rng.normal();
      tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
    } else tf.tidy(() => v.assign(/(^|\.)weight$/.test(n) ? tf.onesLike(v) : tf.zerosLike(v)));
  }
  for (const [n, v] of net.namedBuffers()) tf.tidy(() => v.assign(n.endsWith('running_var') ? tf.onesLike(v) : tf.zerosLike(v)));
  const [h, w, c] = net.inputShape;
  const gauss = (k: number) => {
    const a = new Float32Array(k);
    for (let i = 0; i < k; i++) a[i] = rng.normal();
    return a;
  };
  const n = batch * h * w * c;
  const x1 = gauss(n);
  const eps = gauss(n);
  const x2 = x1.map((v, i) => v + mixupGamma * eps[i]!);
  const feat = (data: Float32Array): Float32Array => {
    let last: Tensor | undefined;
    const out = tf.tidy(() => {
      const logits = net.forward(tf.tensor4d(data, [batch, h, w, c]), {
        training: true,
        hooks: {
          relu: (t) => {
            last = t;
          },
        },
      });
      return net.poolsLastRelu && last ? tf.relu(last) : logits;
    });
    const d = out.dataSync() as Float32Array;
    out.dispose();
    return d;
  };
  const f1 = feat(x1);
  const f2 = feat(x2);
  let delta = 0;
  for (let i = 0; i < f1.length; i++) delta += Math.abs(f1[i]! - f2[i]!);
  delta /= batch;
  let logBn = 0;
  for (const [name, v] of net.namedBuffers()) {
    if (!name.endsWith('running_var')) continue;
    const d = v.dataSync();
    let m = 0;
    for (let i = 0; i < d.length; i++) m += d[i]!;
    logBn += Math.log(Math.sqrt(m / d.length));
  }
  return Math.log(delta) + logBn;
}
