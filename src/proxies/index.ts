/**
 * Training-free (and few-step) architecture scoring: the per-architecture scorer used by
 * `tsnas score`, `tsnas correlate` and `tsnas search --strategy naswot`, over the proxy registry
 * (registry.ts; one file per proxy under definitions/).
 */
import { tf, type Tensor, type Tensor4D } from '../engine/tf.js';
import type { Network } from '../nn/network.js';
import type { AnyArch } from '../spaces/index.js';
import { fixedBatch, type Dataset } from '../data/index.js';
import { TsnasError } from '../util/errors.js';
import { parseDasRule } from './naswot.js';
import { makeNet, SharedInputs } from './input.js';
import { resolveProxy } from './registry.js';
import type { FastTrainOptions, ScoreContext } from './proxy.js';

export * from './activations.js';
export * from './naswot.js';
export * from './zero-cost.js';
export * from './linalg.js';
export * from './bits.js';
export * from './proxy.js';
export { getProxy, proxyNames, registerProxy, resolveProxy, unregisterProxy, type ResolvedProxy } from './registry.js';
export { naswotProxy } from './definitions/naswot.js';
export { dasCache, dasProxy } from './definitions/das.js';
export { disProxy } from './definitions/dis.js';
export { unitsProxy } from './definitions/units.js';
export { activeProxy } from './definitions/active.js';
export { paramsProxy } from './definitions/params.js';
export { flopsProxy } from './definitions/flops.js';
export { synflowProxy } from './definitions/synflow.js';
export { snipProxy } from './definitions/snip.js';
export { gradNormProxy } from './definitions/grad-norm.js';
export { jacobCovProxy } from './definitions/jacob-cov.js';
export { zenProxy } from './definitions/zen.js';

/** The built-in proxies (registry.ts registers them); `das:…` rules (see parseDasRule) are accepted too. proxyNames() adds the user's. */
export const PROXY_NAMES = ['naswot', 'das', 'dis', 'units', 'active', 'params', 'flops', 'synflow', 'snip', 'grad_norm', 'jacob_cov', 'zen'] as const;

/**
 * The full rule behind each DAS proxy of a list (`das` → DEFAULT_DAS's canonical name), or undefined
 * when the list has none: a resumed run records it, so scores made under another default are never mixed.
 */
export function dasRuleNames(proxies: readonly string[]): Record<string, string> | undefined {
  const das = proxies.filter((p) => p.startsWith('das'));
  return das.length ? Object.fromEntries(das.map((p) => [p, parseDasRule(p).name])) : undefined;
}

/**
 * In a comma-separated list, whether `part` is the next option of the parametrised proxy `prev`
 * (`das:kernel=layer` + `lambda=1`) rather than a new proxy: proxy names never contain `=`.
 */
export function continuesProxyOptions(prev: string | undefined, part: string): boolean {
  return prev !== undefined && prev.includes(':') && /^[A-Za-z_][A-Za-z0-9_]*=/.test(part);
}

/** Split `--proxies` text into proxies (each checked against the registry), without repeats. */
export function parseProxyList(text: string): string[] {
  // Split on commas that start a new proxy (das rules contain commas: das:kernel=layer,lambda=1).
  const out: string[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (continuesProxyOptions(out[out.length - 1], part)) {
      out[out.length - 1] += `,${part}`;
    } else out.push(part);
  }
  if (!out.length) throw new TsnasError('--proxies is empty');
  for (const p of out) resolveProxy(p);
  return [...new Set(out)];
}

export const DEFAULT_FAST_TRAIN: FastTrainOptions = { steps: 0, lr: 0.1, batch: 64, momentum: 0.9 };

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

/**
 * Score one architecture with every requested proxy (registry names or `name:options` specs, see
 * parseProxyList), in list order. The network is built from `seed` (same weights for every
 * proxy), optionally trained `train.steps` steps; what several proxies need (the batch, one
 * forward pass's activation statistics, the loss gradients, the MACs) is computed once, on first
 * use. zen re-initialises weights (its definition) on a network of its own.
 */
export function scoreArch(a: AnyArch, proxies: string[], ctx: ScoreContext): ArchScore {
  const t0 = performance.now();
  const requested = proxies.map(resolveProxy);
  const scores: Record<string, number> = {};
  const timing: Record<string, number> = {};
  const net = makeNet(a, ctx.data, ctx.seed);
  const shared = new SharedInputs(a, net, ctx, timing);
  try {
    if (ctx.train && ctx.train.steps > 0) {
      const t = performance.now();
      fastTrain(net, ctx.data, ctx.train, ctx.seed);
      timing.train = (performance.now() - t) / 1000;
    }
    for (const { spec, def, options } of requested) {
      const t = performance.now();
      const before = shared.seconds;
      scores[spec] = def.score(shared.inputFor(spec, def), options);
      // the proxy's own time: shared things it was first to ask for are timed on their own
      timing[spec] = (performance.now() - t) / 1000 - (shared.seconds - before);
    }
  } finally {
    shared.dispose();
    net.dispose();
  }
  return { arch: a.text, scores, seconds: (performance.now() - t0) / 1000, timing };
}
