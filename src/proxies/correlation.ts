/**
 * How well proxies rank architectures: Kendall's τ and Spearman's ρ against a target (accuracy),
 * each with a paired percentile-bootstrap interval, and each proxy's τ as a multiple of a baseline
 * proxy's τ on the same architectures (DAS against NASWOT), with its own interval. The intervals
 * keep small-sample differences from being over-read: at n = 150 a τ of 0.31 against 0.38 can be
 * noise.
 */
import { bootstrapInterval, pick, type BootstrapOptions } from '../util/bootstrap.js';
import { kendallTau, kendallTauWithN, spearman } from '../util/stats.js';

export interface ProxyCorrelation {
  kendall: number;
  spearman: number;
  /** Pairs used (architectures where both the score and the target are numbers). */
  n: number;
  kendall_ci?: [number, number];
  spearman_ci?: [number, number];
  /** τ(proxy) / τ(baseline) on the same architectures, with its interval. */
  ratio?: { baseline: string; value: number; ci?: [number, number] };
}

export interface CorrelateScoresOptions {
  /** Bootstrap settings; `false` computes the point values only. */
  bootstrap?: BootstrapOptions | false;
  /** Proxy whose τ the others are divided by (e.g. 'naswot'), where it is among the scores. */
  baseline?: string;
}

/** τ, ρ and their intervals for every proxy in `scores` (null/NaN scores are dropped pairwise). */
export function correlateScores(scores: Readonly<Record<string, ArrayLike<number | null>>>, target: ArrayLike<number>, o: CorrelateScoresOptions = {}): Record<string, ProxyCorrelation> {
  const num = (xs: ArrayLike<number | null>) => Float64Array.from(xs as ArrayLike<number>, (v) => (v === null ? NaN : v));
  const ys = Float64Array.from(target);
  const xs = Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, num(v)]));
  const base = o.baseline !== undefined ? xs[o.baseline] : undefined;
  const out: Record<string, ProxyCorrelation> = {};
  for (const [name, x] of Object.entries(xs)) {
    const t = kendallTauWithN(x, ys);
    const r: ProxyCorrelation = { kendall: t.value, spearman: spearman(x, ys), n: t.n };
    const ratioAt =
      base && name !== o.baseline ? (idx?: Uint32Array) => (idx ? kendallTau(pick(x, idx), pick(ys, idx)) / kendallTau(pick(base, idx), pick(ys, idx)) : r.kendall / kendallTau(base, ys)) : undefined;
    if (ratioAt) r.ratio = { baseline: o.baseline!, value: ratioAt() };
    if (o.bootstrap !== false) {
      const b = o.bootstrap ?? {};
      const n = ys.length;
      r.kendall_ci = bootstrapInterval(n, (idx) => kendallTau(pick(x, idx), pick(ys, idx)), b);
      r.spearman_ci = bootstrapInterval(n, (idx) => spearman(pick(x, idx), pick(ys, idx)), b);
      if (ratioAt) r.ratio!.ci = bootstrapInterval(n, ratioAt, b);
    }
    out[name] = r;
  }
  return out;
}
