/** Wall-clock timing of a synchronous step: median of `reps` runs after `warmup` untimed runs (ms). */
import { median } from './stats.js';

export function medianTimeMs(fn: () => void, reps: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}
