/**
 * Seeded pseudo-random numbers (mulberry32 state, splitmix-style seeding). Every random choice in
 * tsnas goes through an Rng so that a run is reproducible from its seed, and resumable: the state
 * is one 32-bit integer that checkpoints store.
 */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = Rng.mix(seed >>> 0);
  }

  static mix(x: number): number {
    x = (x + 0x9e3779b9) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
    return (x ^ (x >>> 16)) >>> 0;
  }

  get state(): number {
    return this.s;
  }

  set state(v: number) {
    this.s = v >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('Rng.pick from an empty list');
    return xs[this.int(xs.length)]!;
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }

  /** k distinct integers from [0, n), in random order. */
  sample(n: number, k: number): number[] {
    if (k > n) throw new Error(`cannot sample ${k} distinct values from ${n}`);
    const out = new Set<number>();
    while (out.size < k) out.add(this.int(n));
    return [...out];
  }

  /** An independent child stream (e.g. one per worker or per architecture). */
  fork(tag: number): Rng {
    return new Rng(Rng.mix(this.s ^ Rng.mix(tag)));
  }
}
