/**
 * NASWOT (Mellor et al., ICML 2021; BayesWatch/nas-without-training) and the DAS decoupling of it
 * (Liu et al., arXiv 2212.12132; docs/methods/training-free.md, DAS), all computed from one set of activation statistics.
 *
 *   K_H = Σ_l c_l c_lᵀ + (1−c_l)(1−c_l)ᵀ = N_A·1 1ᵀ − D,   D = Σ_l D_l (Hamming distances)
 *   NASWOT = ln|K_H| = B·ln N_A + ln|K̂|,   K̂ = K_H / N_A = 1 − D/N_A
 *
 * The two atomic DAS terms: `units` = B·ln N_A (number of activation units) and `dis` = ln|K̂|
 * (distinguishing ability). The paper's combination rule is not public; the rules below are this
 * project's, selectable by name, and the default `das` was picked by the protocol in BENCHMARKS.md.
 */
import { TsnasError } from '../util/errors.js';
import type { ActivationStats } from './activations.js';
import { logAbsDet } from './linalg.js';

/** K = N·1 1ᵀ − D for a Hamming matrix D. */
export function kernelFromHamming(hamming: Float64Array, batch: number, units: number): Float64Array {
  const k = new Float64Array(batch * batch);
  for (let i = 0; i < k.length; i++) k[i] = units - hamming[i]!;
  return k;
}

/** The NASWOT score: ln|det K_H| in float64 (np.linalg.slogdet(K)[1]). */
export function naswotScore(s: ActivationStats): number {
  return logAbsDet(kernelFromHamming(s.hamming, s.batch, s.totalUnits), s.batch);
}

/** The two atomic terms of the decoupling; units + dis = NASWOT exactly (up to rounding). */
export function dasTerms(s: ActivationStats): { units: number; dis: number } {
  const khat = new Float64Array(s.batch * s.batch);
  for (let i = 0; i < khat.length; i++) khat[i] = 1 - s.hamming[i]! / s.totalUnits;
  return { units: s.batch * Math.log(s.totalUnits), dis: logAbsDet(khat, s.batch) };
}

/**
 * ln|K̃| with K̃ = Σ_l m_l K̂_l / Σ_l m_l: each ReLU module's kernel normalised by its own unit count,
 * so every layer weighs the same whatever its width (whole-network NASWOT lets the wide first-stage
 * layers dominate). Also returns the layer-count term B·ln L, the analogue of B·ln N_A.
 */
export function layerNormTerms(s: ActivationStats): { dis: number; layers: number } {
  const b = s.batch;
  const k = new Float64Array(b * b);
  let m = 0;
  for (const l of s.layers) {
    m += l.multiplicity;
    const w = l.multiplicity / l.units;
    for (let i = 0; i < k.length; i++) k[i]! += l.multiplicity - w * l.hamming[i]!;
  }
  for (let i = 0; i < k.length; i++) k[i]! /= m;
  return { dis: logAbsDet(k, b), layers: m };
}

/** Mean over ReLU modules of ln|K̂_l + δI| (per-layer kernels; δ keeps duplicate codes finite). */
export function perLayerDis(s: ActivationStats, delta = 1e-3): number {
  const b = s.batch;
  let sum = 0;
  let m = 0;
  for (const l of s.layers) {
    const k = new Float64Array(b * b);
    for (let i = 0; i < k.length; i++) k[i] = 1 - l.hamming[i]! / l.units;
    for (let i = 0; i < b; i++) k[i * b + i]! += delta;
    sum += l.multiplicity * logAbsDet(k, b);
    m += l.multiplicity;
  }
  return sum / m;
}

/** Mean fraction of active units (over samples and all units). */
export function activeFraction(s: ActivationStats): number {
  let a = 0;
  for (const l of s.layers) for (let i = 0; i < s.batch; i++) a += l.multiplicity * l.active[i]!;
  return a / (s.batch * s.totalUnits);
}

export interface DasRule {
  /** Canonical name, e.g. `das:lambda=0.5` or `das:kernel=layer,lambda=1`. */
  name: string;
  kernel: 'whole' | 'layer' | 'perlayer';
  lambda: number;
  /** Weight of the active-fraction penalty (the unofficial `NASWOT − λ·active fraction` reading). */
  active: number;
  /**
   * Weight γ of the connection term γ·B·ln(MACs): the units term counts a unit fed by a 1×1 and by a
   * 3×3 convolution alike; weighting each unit by its fan-in counts connections, whose total is the
   * network's multiply-accumulates per image. Not one of the paper's two atomic terms (BENCHMARKS.md).
   */
  conn: number;
}

/**
 * The two-term DAS rule, chosen on NB201 CIFAR-10 by the protocol in BENCHMARKS.md ("DAS rule
 * selection"): a grid of kernel × λ × active-penalty fitted (Kendall τ) on the first 150 of a
 * seeded uniform sample of 300 architectures (seed 0, batch 128, CIFAR-10 train images), reported
 * on the disjoint other 150: held-out τ 0.632 vs NASWOT 0.593 (1.07×), ρ 0.815 vs 0.774.
 * `npx tsx bench/perf/proxies.ts --select-das FILE` reproduces the choice. Over all 15,625: 1.075×.
 */
export const DAS_TWO_TERM = 'das:kernel=perlayer,lambda=0.5,active=10';

/**
 * The default DAS rule: the two-term rule plus the connection term with γ = 0.25, γ fitted on the
 * even positions of the seeded order of all 15,625 NB201 cells and reported on the odd ones (BENCHMARKS.md, "DAS with
 * a connection term"): 1.128× NASWOT's τ on C10 validation on the held-out half.
 */
export const DEFAULT_DAS = `${DAS_TWO_TERM},conn=0.25`;

/**
 * In a comma-separated list (`--proxies`, `--objectives`), whether `part` continues the `das:` rule
 * `prev` (its next option) rather than starting a new item.
 */
export function continuesDasRule(prev: string | undefined, part: string): boolean {
  return prev !== undefined && prev.startsWith('das:') && /^(kernel|lambda|active|conn)=/.test(part);
}

/** Parse `das`, `das:lambda=0.5`, `das:kernel=layer,lambda=2,active=10,conn=0.25`. */
export function parseDasRule(spec: string): DasRule {
  const text = spec === 'das' ? DEFAULT_DAS : spec;
  const m = /^das(?::(.*))?$/.exec(text);
  if (!m) throw new TsnasError(`not a DAS rule: '${spec}'`);
  const rule: DasRule = { name: '', kernel: 'whole', lambda: 1, active: 0, conn: 0 };
  for (const part of (m[1] ?? '').split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    if (k === 'kernel') {
      if (v !== 'whole' && v !== 'layer' && v !== 'perlayer') throw new TsnasError(`DAS kernel must be whole, layer or perlayer, got '${v}'`);
      rule.kernel = v;
    } else if (k === 'lambda' || k === 'active' || k === 'conn') {
      const n = Number(v);
      if (v === undefined || v === '' || !Number.isFinite(n)) throw new TsnasError(`DAS ${k} must be a number, got '${v}'`);
      rule[k] = n;
    } else {
      throw new TsnasError(`unknown DAS option '${k}' in '${spec}' (options: kernel, lambda, active, conn)`);
    }
  }
  rule.name = `das:kernel=${rule.kernel},lambda=${rule.lambda}${rule.active ? `,active=${rule.active}` : ''}${rule.conn ? `,conn=${rule.conn}` : ''}`;
  return rule;
}

/**
 * dis_kernel + λ·units − active·fraction·B + conn·B·ln(macs). With kernel=whole, λ=1, active=0 and
 * conn=0 this is NASWOT. For kernel=layer/perlayer the units term is still B·ln N_A (the network's
 * unit count). `macs` (multiply-accumulates per image) is needed only when rule.conn ≠ 0.
 */
export function dasScore(s: ActivationStats, rule: DasRule, cache: DasCache = {}, macs?: number): number {
  const terms = (cache.terms ??= dasTerms(s));
  let dis: number;
  if (rule.kernel === 'whole') dis = terms.dis;
  else if (rule.kernel === 'layer') dis = (cache.layer ??= layerNormTerms(s)).dis;
  else dis = cache.perlayer ??= perLayerDis(s);
  let v = dis + rule.lambda * terms.units;
  if (rule.active) v -= rule.active * s.batch * (cache.active ??= activeFraction(s));
  if (rule.conn) {
    if (macs === undefined || !(macs > 0)) throw new TsnasError(`DAS rule '${rule.name}' needs the network's multiply-accumulates (got ${macs})`);
    v += rule.conn * s.batch * Math.log(macs);
  }
  return v;
}

/** Memoised intermediate terms, shared by several rules scored on the same statistics. */
export interface DasCache {
  terms?: { units: number; dis: number };
  layer?: { dis: number; layers: number };
  perlayer?: number;
  active?: number;
}
