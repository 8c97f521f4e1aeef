/**
 * Training-free (and few-step) architecture scoring: the proxy registry and the per-architecture
 * scorer used by `tsnas score`, `tsnas correlate` and `tsnas search --strategy naswot`.
 */
import { tf, type Tensor, type Tensor4D } from '../engine/tf.js';
import type { Network } from '../nn/network.js';
import { buildEvalNetwork, type AnyArch } from '../spaces/index.js';
import { fixedBatch, type Dataset } from '../data/index.js';
import { TsnasError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { collectActivationStats } from './activations.js';
import { activeFraction, continuesDasRule, dasScore, dasTerms, naswotScore, parseDasRule, type DasCache } from './naswot.js';
import { gradNorm, jacobCov, snip, synflow, zen } from './zero-cost.js';

export * from './activations.js';
export * from './naswot.js';
export * from './zero-cost.js';
export * from './linalg.js';
export * from './bits.js';

/** Proxies by name; `das:…` rules (see parseDasRule) are accepted too. */
export const PROXY_NAMES = [
  'naswot', 'das', 'dis', 'units', 'active', 'params', 'flops',
  'synflow', 'snip', 'grad_norm', 'jacob_cov', 'zen',
] as const;

const ACTIVATION_PROXIES = new Set(['naswot', 'dis', 'units', 'active']);

/**
 * The full rule behind each DAS proxy of a list (`das` → DEFAULT_DAS's canonical name), or undefined
 * when the list has none: a resumed run records it, so scores made under another default are never mixed.
 */
export function dasRuleNames(proxies: readonly string[]): Record<string, string> | undefined {
  const das = proxies.filter((p) => p.startsWith('das'));
  return das.length ? Object.fromEntries(das.map((p) => [p, parseDasRule(p).name])) : undefined;
}

export function parseProxyList(text: string): string[] {
  // Split on commas that start a new proxy (das rules contain commas: das:kernel=layer,lambda=1).
  const out: string[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (continuesDasRule(out[out.length - 1], part)) {
      out[out.length - 1] += `,${part}`;
    } else out.push(part);
  }
  if (!out.length) throw new TsnasError('--proxies is empty');
  for (const p of out) {
    if (p.startsWith('das')) parseDasRule(p);
    else if (!(PROXY_NAMES as readonly string[]).includes(p)) {
      throw new TsnasError(`unknown proxy '${p}' (known: ${PROXY_NAMES.join(', ')}, das:kernel=whole|layer|perlayer,lambda=X,active=Y,conn=Z)`);
    }
  }
  return [...new Set(out)];
}

export interface FastTrainOptions {
  /** SGD steps before scoring (0 = training-free). */
  steps: number;
  lr: number;
  batch: number;
  momentum: number;
}

export const DEFAULT_FAST_TRAIN: FastTrainOptions = { steps: 0, lr: 0.1, batch: 64, momentum: 0.9 };

export interface ScoreContext {
  /** Training split: scoring batch and fast-training batches come from it. */
  data: Dataset;
  /** Scoring batch size (NASWOT: 128). */
  batch: number;
  seed: number;
  train?: FastTrainOptions;
}

export interface ArchScore {
  arch: string;
  scores: Record<string, number>;
  seconds: number;
  timing: Record<string, number>;
}

/** `steps` SGD steps (momentum, BN in train mode, cross-entropy) on seeded batches of `data`. */
export function fastTrain(net: Network, data: Dataset, o: FastTrainOptions, seed: number): void {
  if (o.steps <= 0) return;
  // Plain momentum SGD (PyTorch's form: v ← μv + g, θ ← θ − lr·v). TF.js's MomentumOptimizer leaks
  // one scalar on dispose, so the update is written out.
  const vars = net.parameters();
  const vel: Tensor[] = vars.map((v) => tf.zerosLike(v) as Tensor);
  try {
    for (let s = 0; s < o.steps; s++) {
      const b = fixedBatch(data, Math.min(o.batch, data.n), seed * 7919 + 104729 + s);
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(tf.oneHot(b.y as tf.Tensor1D, data.numClasses), net.forward(b.x as Tensor4D, { training: true })) as tf.Scalar,
          vars,
        );
        value.dispose();
        vars.forEach((v, i) => {
          const g = grads[v.name];
          if (!g) return;
          const nv = tf.add(tf.mul(vel[i]!, o.momentum), g);
          vel[i]!.dispose();
          vel[i] = tf.keep(nv);
          v.assign(tf.sub(v, tf.mul(nv, o.lr)));
        });
      });
      b.x.dispose();
      b.y.dispose();
    }
  } finally {
    for (const t of vel) t.dispose();
  }
}

function makeNet(a: AnyArch, data: Dataset, seed: number): Network {
  return buildEvalNetwork(a.space, a, new Rng(seed), { numClasses: data.numClasses, inputShape: [data.height, data.width, data.channels] });
}

/**
 * Score one architecture with every requested proxy. The network is built from `seed` (same
 * weights for every proxy), optionally trained `train.steps` steps, then the activation-based
 * proxies share one forward pass. zen re-initialises weights (its definition) on its own network.
 */
export function scoreArch(a: AnyArch, proxies: string[], ctx: ScoreContext): ArchScore {
  const t0 = performance.now();
  const scores: Record<string, number> = {};
  const timing: Record<string, number> = {};
  const tic = () => performance.now();
  const net = makeNet(a, ctx.data, ctx.seed);
  let batch: { x: Tensor; y: Tensor } | undefined;
  let macs: number | undefined;
  const netMacs = () => (macs ??= net.flopsPerImage());
  try {
    if (ctx.train && ctx.train.steps > 0) {
      const t = tic();
      fastTrain(net, ctx.data, ctx.train, ctx.seed);
      timing.train = (tic() - t) / 1000;
    }
    const needsBatch = proxies.some((p) => p.startsWith('das') || ACTIVATION_PROXIES.has(p) || ['snip', 'grad_norm', 'jacob_cov'].includes(p));
    if (needsBatch) batch = fixedBatch(ctx.data, ctx.batch, ctx.seed);
    const actNeeded = proxies.some((p) => p.startsWith('das') || ACTIVATION_PROXIES.has(p));
    if (actNeeded) {
      const stats = collectActivationStats(net, batch!.x as Tensor4D);
      timing.forward = stats.timing.forward;
      timing.codes = stats.timing.codes;
      const t = tic();
      const cache: DasCache = {};
      for (const p of proxies) {
        if (p === 'naswot') scores[p] = naswotScore(stats);
        else if (p === 'dis') scores[p] = (cache.terms ??= dasTerms(stats)).dis;
        else if (p === 'units') scores[p] = (cache.terms ??= dasTerms(stats)).units;
        else if (p === 'active') scores[p] = (cache.active ??= activeFraction(stats));
        else if (p.startsWith('das')) {
          const rule = parseDasRule(p);
          scores[p] = dasScore(stats, rule, cache, rule.conn ? netMacs() : undefined);
        }
      }
      timing.logdet = (tic() - t) / 1000;
    }
    for (const p of proxies) {
      const t = tic();
      if (p === 'params') scores[p] = net.paramCount() / 1e6;
      else if (p === 'flops') scores[p] = netMacs() / 1e6;
      else if (p === 'grad_norm') scores[p] = gradNorm(net, batch!.x as Tensor4D, batch!.y, ctx.data.numClasses);
      else if (p === 'snip') scores[p] = snip(net, batch!.x as Tensor4D, batch!.y, ctx.data.numClasses);
      else if (p === 'jacob_cov') scores[p] = jacobCov(net, batch!.x as Tensor4D);
      else if (p === 'synflow') scores[p] = synflow(net);
      else if (p === 'zen') {
        const zn = makeNet(a, ctx.data, ctx.seed);
        try {
          scores[p] = zen(zn, Math.min(ctx.batch, 64), ctx.seed);
        } finally {
          zn.dispose();
        }
      } else continue;
      timing[p] = (tic() - t) / 1000;
    }
  } finally {
    batch?.x.dispose();
    batch?.y.dispose();
    net.dispose();
  }
  return { arch: a.text, scores, seconds: (performance.now() - t0) / 1000, timing };
}
