/**
 * What a search space is to tsnas: the one interface every strategy, proxy, objective and command
 * goes through. A space is one object implementing `SearchSpace<A>` (A: its own architecture
 * value, plain data) registered by name (src/spaces/registry.ts); adding a space is one new file
 * plus one registration line (src/spaces/builtin.ts for the shipped ones).
 *
 * An architecture travels through tsnas as an `Arch`: the space's name, the space's value, and
 * the canonical text (`space.format(arch)`), which is the key for dedup, caches and the store.
 */
import type { Rng } from '../util/rng.js';
import type { Network } from '../nn/network.js';
import type { TrainRecipe } from '../train/trainer.js';

/** An architecture of a registered space: the space's name, its value, its canonical text. */
export interface Arch<A = unknown> {
  readonly space: string;
  readonly arch: A;
  readonly text: string;
}

/** One categorical decision of a space: what `encode` writes as an index into `choices`. */
export interface Decision {
  readonly label: string;
  readonly choices: readonly string[];
}

/**
 * Size knobs of an evaluation network. Every space reads numClasses and inputShape; the others are
 * the space's own (listed in `SearchSpace.netOptions`), e.g. N for NB201 cells per stage, layers
 * and auxiliary for DARTS.
 */
export interface EvalNetOverrides {
  C?: number;
  N?: number;
  layers?: number;
  numClasses?: number;
  inputShape?: readonly [number, number, number];
  auxiliary?: boolean;
}

/** The weight-sharing network of a space that has one (differentiable search, TND-NAS). */
export interface SupernetSpec {
  /** Candidate ops of every mixed edge, in α column order. */
  readonly ops: readonly string[];
  /** Mixed edges per cell, in α row order (`to<-from` labels). */
  readonly edges: readonly string[];
  /** Cell kinds with their own α (NB201: cell; DARTS: normal, reduce). */
  readonly cells: readonly string[];
  build(rng: Rng, o?: EvalNetOverrides & { partialChannels?: number }): Network;
}

export type NetOption = 'C' | 'N' | 'layers' | 'auxiliary' | 'dropPath';

export interface SearchSpace<A = unknown> {
  /** Registry key, e.g. 'nb201'. */
  readonly name: string;
  /** One line for help texts and listings. */
  readonly description: string;
  /** Read an architecture's text; errors (TsnasError, one line) name the position or the label. */
  parse(text: string): A;
  /** Canonical text: `parse(format(a))` equals a, and equal archs format equally (the dedup key). */
  format(a: A): string;
  /** A random architecture (the space's own distribution, uniform where the space says so). */
  sample(rng: Rng): A;
  /** A neighbour: one decision changed. */
  mutate(a: A, rng: Rng): A;
  /** A child whose every decision comes from one of the parents. */
  crossover(a: A, b: A, rng: Rng): A;
  /** The categorical decisions `encode` indexes, in order (NSGA-II encodings, TND-NAS's policy). */
  decisions(): readonly Decision[];
  /** One index per decision into that decision's choices. */
  encode(a: A): number[];
  /** Inverse of `encode`; errors name the decision's label. */
  decode(codes: readonly number[]): A;
  /** The evaluation network; defaults are the space's benchmark sizes. */
  buildNetwork(a: A, rng: Rng, o?: EvalNetOverrides): Network;
  /** `buildNetwork(a, rng, o).paramCount()` without building it, where the space can count faster (optional). */
  paramCount?(a: A, o?: EvalNetOverrides): number;
  /**
   * What the network implements besides numClasses and inputShape: the EvalNetOverrides size knobs
   * it reads (C, N, layers, auxiliary: an auxiliary head, which needs 32×32 input) and whether its
   * cells apply drop-path while training (dropPath). Commands refuse flags the space does not take.
   */
  readonly netOptions: readonly NetOption[];
  /** Training-recipe defaults of the space (`tsnas train`, `dtb build`, accuracy:trained). */
  readonly trainRecipe?: Partial<TrainRecipe>;
  /** The supernet, where the space has one. */
  readonly supernet?: SupernetSpec;
  /** Every architecture, for finite spaces small enough to list (NB201: 15,625). */
  enumerate?(): Iterable<A>;
  /** Number of architectures, where finite. */
  readonly size?: number;
}

/**
 * Uniform crossover over `space`'s decisions (each decision from either parent with probability
 * 1/2), for spaces whose every code vector decodes to a valid architecture.
 */
export function uniformCrossover<A>(space: Pick<SearchSpace<A>, 'encode' | 'decode'>, a: A, b: A, rng: Rng): A {
  const ca = space.encode(a);
  const cb = space.encode(b);
  return space.decode(ca.map((c, i) => (rng.next() < 0.5 ? c : cb[i]!)));
}
