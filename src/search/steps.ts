/**
 * Algorithms written as step generators (they `yield` between evaluations / training steps) run
 * either synchronously (library use, benchmarks: `drain`) or with the event loop getting a turn
 * between steps (`drainAsync`, the CLI): there a Ctrl-C handler can run and set the stop flag the
 * algorithm polls after each yield. Both drivers take the same steps, so the results are identical.
 */
import type { AnyArch } from '../spaces/index.js';

export type Steps<T> = Generator<StepBatch | void, T, void>;

/**
 * Yielded before a batch of evaluations whose architectures are known in advance (an NSGA-II
 * generation, a chunk of random samples): a driver may evaluate them elsewhere first (the Redis
 * queue's workers, side by side), so that the evaluations that follow are look-ups.
 */
export interface StepBatch {
  prefetch: readonly AnyArch[];
}

/** Run a step generator to its end without yielding to the event loop. */
export function drain<T>(g: Steps<T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/**
 * Run a step generator, giving the event loop a turn (setImmediate) at a yield once `everyMs`
 * have passed since the last turn (0: at every yield). A turn costs microseconds. `prefetch` is
 * awaited with each batch the generator announces.
 */
export async function drainAsync<T>(g: Steps<T>, everyMs = 10, prefetch?: (archs: readonly AnyArch[]) => Promise<void>): Promise<T> {
  let last = performance.now();
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    if (r.value && prefetch) {
      await prefetch(r.value.prefetch);
      last = performance.now();
      continue;
    }
    if (performance.now() - last >= everyMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      last = performance.now();
    }
  }
}
