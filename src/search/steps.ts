/**
 * Algorithms written as step generators (they `yield` between evaluations / training steps) run
 * either synchronously (library use, benchmarks: `drain`) or with the event loop getting a turn
 * between steps (`drainAsync`, the CLI): there a Ctrl-C handler can run and set the stop flag the
 * algorithm polls after each yield. Both drivers take the same steps, so the results are identical.
 */
export type Steps<T> = Generator<void, T, void>;

/** Run a step generator to its end without yielding to the event loop. */
export function drain<T>(g: Steps<T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/**
 * Run a step generator, giving the event loop a turn (setImmediate) at a yield once `everyMs`
 * have passed since the last turn (0: at every yield). A turn costs microseconds.
 */
export async function drainAsync<T>(g: Steps<T>, everyMs = 10): Promise<T> {
  let last = performance.now();
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    if (performance.now() - last >= everyMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      last = performance.now();
    }
  }
}
