/**
 * TND-NAS's policy: architecture parameters α [edges × ops] of a categorical distribution per edge
 * (masked ops have p = 0), optimised directly by REINFORCE (no controller), inside a P-DARTS-style
 * progressive shrinking of the op set. Shared by both modes (table.ts, supernet.ts).
 *
 *   - Baseline (ENAS order): b ← b + 0.95·(mean R − b), then advantages R_j − b.
 *   - ∇α = mean_j (R_j − b)·∇(−Σ_e log p(op_e,j)); Adam (lr 1e-2, β (0.5, 0.999), L2 weight decay
 *     1e-3 added to the gradient after clipping its global norm to 5, as torch does).
 *   - Stages: after each stage, per edge keep the `keep[stage+1]` active ops with the largest α
 *     (NB201: 5 → 3 → 2; the author's DARTS normal cell 9 → 6 → 3 → 1).
 */
import { NB201_EDGES, NB201_OPS, formatNb201, type AnyArch, type Nb201Op } from '../../spaces/index.js';
import { ArrayAdam, type ArrayAdamState } from '../../optim/index.js';
import { Rng } from '../../util/rng.js';
import { TND_EXPONENTS, type RewardConfig, type Scalarisation } from './reward.js';

function softmaxMasked(a: readonly number[], mask: readonly boolean[]): number[] {
  let m = -Infinity;
  a.forEach((v, i) => mask[i] && (m = Math.max(m, v)));
  const e = a.map((v, i) => (mask[i] ? Math.exp(v - m) : 0));
  const s = e.reduce((x, y) => x + y, 0);
  return e.map((v) => v / s);
}

/**
 * Independent categorical distributions, one per row of α (rows may differ in length), with masks
 * for the shrunk choices (p = 0, frozen by Adam). A sampled choice holds one index per row, or −1
 * for a row the sample did not use (a DARTS edge its node did not pick): such a row adds nothing
 * to log p and gets no gradient. Subclasses say how rows are sampled, shrunk and named.
 */
export abstract class CategoricalPolicy {
  readonly alpha: number[][];
  readonly masks: boolean[][];

  constructor(sizes: readonly number[], rng?: Rng) {
    // α = 1e-3·randn as the DARTS-family code initialises it (row by row)
    this.alpha = sizes.map((n) => Array.from({ length: n }, () => (rng ? 1e-3 * rng.normal() : 0)));
    this.masks = sizes.map((n) => new Array<boolean>(n).fill(true));
  }

  /** One sample: an index per row, −1 for rows it does not use. */
  abstract sample(rng: Rng): number[];
  /** Shrink the choices for a stage that keeps `keep` per shrinkable row; returns the dropped [row, index]s. */
  abstract shrink(keep: number): [number, number][];
  /** The most probable sample. */
  abstract argmax(): number[];
  /** A dropped choice for the stage log (e.g. `edge 3: avg_pool_3x3`). */
  abstract label(row: number, k: number): string;

  probs(r: number): number[] {
    return softmaxMasked(this.alpha[r]!, this.masks[r]!);
  }

  /**
   * How undecided the policy is: each row's entropy over its active choices divided by its
   * maximum, log(active), averaged over rows with more than one (1: uniform, 0: decided).
   */
  normalizedEntropy(): number {
    let sum = 0;
    let rows = 0;
    this.alpha.forEach((_, r) => {
      const active = this.masks[r]!.filter(Boolean).length;
      if (active < 2) return;
      const h = this.probs(r).reduce((s, p) => (p > 0 ? s - p * Math.log(p) : s), 0);
      sum += h / Math.log(active);
      rows++;
    });
    return rows ? sum / rows : 0;
  }

  /** One index of row r drawn from its probabilities (one uniform draw). */
  protected sampleRow(r: number, rng: Rng): number {
    const p = this.probs(r);
    let u = rng.next();
    for (let o = 0; o < p.length; o++) {
      u -= p[o]!;
      if (u < 0 && p[o]! > 0) return o;
    }
    return p
      .map((x, i) => (x > 0 ? i : -1))
      .filter((i) => i >= 0)
      .pop()!;
  }

  /** The active index of row r with the largest α (ties: the lower index). */
  protected argmaxRow(r: number): number {
    const row = this.alpha[r]!;
    let best = -1;
    row.forEach((v, o) => this.masks[r]![o] && (best < 0 || v > row[best]!) && (best = o));
    return best;
  }

  /** In each of `rows`, keep the `keep` active indices with the largest α (ties: lower index). */
  protected shrinkRows(rows: Iterable<number>, keep: number): [number, number][] {
    const dropped: [number, number][] = [];
    for (const e of rows) {
      const active = this.alpha[e]!.map((v, o) => ({ v, o })).filter(({ o }) => this.masks[e]![o]);
      if (keep >= active.length) continue;
      active.sort((a, b) => b.v - a.v || a.o - b.o);
      for (const { o } of active.slice(Math.max(1, keep))) {
        this.masks[e]![o] = false;
        dropped.push([e, o]);
      }
    }
    return dropped;
  }

  logProb(choice: readonly number[]): number {
    return choice.reduce((s, o, e) => (o < 0 ? s : s + Math.log(this.probs(e)[o]!)), 0);
  }

  /** ∇_α log p(choice): per used row onehot(o) − p (0 on masked entries and unused rows). */
  gradLogProb(choice: readonly number[]): number[][] {
    return choice.map((o, e) => (o < 0 ? this.alpha[e]!.map(() => 0) : this.probs(e).map((p, k) => (this.masks[e]![k] ? (k === o ? 1 : 0) - p : 0))));
  }
}

/**
 * The NB201 policy: one categorical over the ops per edge (every edge is used by every sample); also
 * the policy over any space's decisions (`forDecisions`), with the extra columns of decisions that
 * have fewer choices than the widest masked from the start.
 */
export class TndPolicy extends CategoricalPolicy {
  constructor(
    readonly edges: number,
    readonly ops: number,
    rng?: Rng,
    private readonly opNames: readonly string[] = NB201_OPS,
  ) {
    super(new Array<number>(edges).fill(ops), rng);
  }

  /** A policy over decisions with these numbers of choices (a space's `decisions()`). */
  static forDecisions(sizes: readonly number[], rng?: Rng): TndPolicy {
    const p = new TndPolicy(sizes.length, Math.max(...sizes), rng);
    sizes.forEach((n, e) => p.masks[e]!.forEach((_, k) => (p.masks[e]![k] = k < n)));
    return p;
  }

  sample(rng: Rng): number[] {
    return this.alpha.map((_, e) => this.sampleRow(e, rng));
  }

  /** Per edge, keep the `keep` active ops with the largest α (ties: lower op index); returns the dropped [edge, op]s. */
  shrink(keep: number): [number, number][] {
    return this.shrinkRows(this.alpha.keys(), keep);
  }

  argmax(): number[] {
    return this.alpha.map((_, e) => this.argmaxRow(e));
  }

  label(e: number, k: number): string {
    return `edge ${e}: ${this.opNames[k] ?? k}`;
  }
}

/** REINFORCE gradient of the loss mean_j −(R_j − b)·log p(choice_j) with respect to α. */
export function reinforceGrad(policy: CategoricalPolicy, choices: readonly (readonly number[])[], advantages: readonly number[]): number[][] {
  const g = policy.alpha.map((r) => r.map(() => 0));
  choices.forEach((c, j) => {
    const gl = policy.gradLogProb(c);
    gl.forEach((row, e) => row.forEach((v, o) => (g[e]![o]! -= (advantages[j]! * v) / choices.length)));
  });
  return g;
}

/**
 * One α step from the rewards `R` of the sampled `choices`: the baseline moves toward their mean
 * (b ← b + decay·(mean R − b)), then Adam on the REINFORCE gradient with advantages R − b (masked
 * ops frozen). Returns the mean reward and the new baseline.
 */
export function reinforceStep(
  policy: CategoricalPolicy,
  opt: ArrayAdam,
  choices: readonly (readonly number[])[],
  R: readonly number[],
  baseline: number,
  decay: number,
): { meanReward: number; baseline: number } {
  const meanR = R.reduce((a, b) => a + b, 0) / R.length;
  baseline += decay * (meanR - baseline);
  const g = reinforceGrad(
    policy,
    choices,
    R.map((r) => r - baseline),
  );
  opt.step(policy.alpha, g, policy.masks);
  return { meanReward: meanR, baseline };
}

/** Exact E_{p_α}[R] over every choice of a policy whose samples use every row (NB201: 5^6 cells at most). */
export function expectedReward(policy: CategoricalPolicy, reward: (choice: number[]) => number): number {
  const E = policy.alpha.length;
  const probs = Array.from({ length: E }, (_, e) => policy.probs(e));
  let total = 0;
  const choice = new Array<number>(E).fill(0);
  const rec = (e: number, p: number): void => {
    if (p === 0) return;
    if (e === E) {
      total += p * reward(choice);
      return;
    }
    for (let k = 0; k < probs[e]!.length; k++) {
      choice[e] = k;
      rec(e + 1, p * probs[e]![k]!);
    }
  };
  rec(0, 1);
  return total;
}

/** The NB201 cell of a choice (one op index per edge). */
export const nb201ArchOfChoice = (choice: readonly number[], ops: readonly Nb201Op[] = NB201_OPS): AnyArch => {
  const arch = { ops: choice.map((o) => ops[o]!) };
  return { space: 'nb201', arch, text: formatNb201(arch) };
};

export interface TndStepLog {
  stage: number;
  step: number;
  meanReward: number;
  baseline: number;
  evaluations: number;
  /** The policy's normalized entropy after this step (normalizedEntropy; absent in runs stored before it was logged). */
  entropy?: number;
}

export interface TndOutcome {
  policy: CategoricalPolicy;
  targets: number[][];
  log: TndStepLog[];
  stages: { stage: number; keep: number; dropped: string[] }[];
  argmax: string;
  /** Ended early by `shouldStop`. */
  stopped?: true;
}

/** Options of both modes. */
export interface TndSearchOptions {
  seed: number;
  /** Architectures sampled per α step (10). */
  samples?: number;
  /** Active ops per edge in each stage (NB201 default [5, 3, 2]; other spaces [widest, 3, 2]). */
  keep?: number[];
  /** Choices per decision of another space than NB201 (its `decisions()`); default NB201's 6 edges × 5 ops. */
  decisionSizes?: readonly number[];
  scalarisation?: Scalarisation;
  exponents?: number[];
  targets?: number[][];
  lr?: number;
  baselineDecay?: number;
  /** Told after every α step. */
  onStep?: (s: TndStepLog) => void;
  /** Polled after every evaluation (table mode) or weight step (supernet mode): true ends the run there (`stopped`). */
  shouldStop?: () => boolean;
}

/** The policy's part of a checkpoint. */
export interface TndPolicyState {
  rng: number;
  alpha: number[][];
  masks: boolean[][];
  adam: ArrayAdamState;
}

/**
 * Defaults and state shared by both modes: kept ops per stage, samples, baseline decay, reward,
 * policy (NB201's unless `makePolicy` builds another, from the RNG stream the NB201 one draws), Adam.
 */
export function tndSetup(o: TndSearchOptions, makePolicy: (rng: Rng) => CategoricalPolicy = (r) => new TndPolicy(NB201_EDGES.length, NB201_OPS.length, r), defaultKeep = [5, 3, 2]) {
  const rng = new Rng(o.seed);
  const cfg: RewardConfig = { scalarisation: o.scalarisation ?? 'product', exponents: o.exponents ?? TND_EXPONENTS, targets: o.targets };
  return {
    keep: o.keep ?? (o.decisionSizes ? [Math.max(...o.decisionSizes), 3, 2] : defaultKeep),
    samples: o.samples ?? 10,
    decay: o.baselineDecay ?? 0.95,
    cfg,
    rng,
    policy: o.decisionSizes ? TndPolicy.forDecisions(o.decisionSizes, rng.fork(1)) : makePolicy(rng.fork(1)),
    opt: new ArrayAdam({ lr: o.lr ?? 1e-2, beta1: 0.5, beta2: 0.999, weightDecay: 1e-3, clip: 5 }),
  };
}

/** Put a checkpoint's policy state back (α, masks, Adam, the sampling RNG). */
/** The policy's part of a checkpoint (what restorePolicy reads back). */
export function policyState(policy: CategoricalPolicy, opt: ArrayAdam, rng: Rng): TndPolicyState {
  return { rng: rng.state, alpha: policy.alpha, masks: policy.masks, adam: opt.state() };
}

export function restorePolicy(s: TndPolicyState, policy: CategoricalPolicy, opt: ArrayAdam, rng: Rng): void {
  rng.state = s.rng;
  s.alpha.forEach((row, e) => row.forEach((v, k) => (policy.alpha[e]![k] = v)));
  s.masks.forEach((row, e) => row.forEach((v, k) => (policy.masks[e]![k] = v)));
  opt.load(s.adam);
}

/** Shrink the op set for `stage` and describe what was dropped (the outcome's `stages`). */
export function shrinkStage(policy: CategoricalPolicy, stage: number, keep: number, describe: (e: number, k: number) => string = (e, k) => policy.label(e, k)): TndOutcome['stages'][number] {
  const dropped = policy.shrink(keep);
  return { stage, keep, dropped: dropped.map(([e, k]) => describe(e, k)) };
}
