/**
 * The native engine's thread count: TSNAS_THREADS (fixed), else all cores with a load governor.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { NativeAddon } from './addon.js';

/**
 * With TSNAS_THREADS unset, the engine uses every core while the machine is otherwise idle and
 * drops to one thread while other processes use more than about half a core: an OpenMP region
 * waits for its slowest thread, and on a shared machine that thread is often descheduled, which
 * made two threads 2–3× slower than one (measured on 2 cores with two busy neighbours).
 * Checked at most every 250 ms from /proc (Linux); elsewhere the thread count stays fixed.
 */
class ThreadGovernor {
  private last = 0;
  private prev?: { total: number; idle: number; self: number };
  private current: number;
  constructor(
    private readonly A: NativeAddon,
    private readonly max: number,
    private readonly adaptive: boolean,
  ) {
    this.current = A.info().threads;
  }

  tick(): void {
    if (!this.adaptive) return;
    const now = performance.now();
    if (now - this.last < 250) return;
    this.last = now;
    let sample: { total: number; idle: number; self: number };
    try {
      const cpu = readFileSync('/proc/stat', 'latin1').slice(0, 200).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
      const st = readFileSync('/proc/self/stat', 'latin1');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      sample = { total: cpu.reduce((x, y) => x + y, 0), idle: cpu[3]! + (cpu[4] ?? 0), self: Number(f[11]) + Number(f[12]) };
    } catch {
      return;
    }
    const p = this.prev;
    this.prev = sample;
    if (!p || sample.total - p.total < 10) return;
    const others = (sample.total - p.total - (sample.idle - p.idle) - (sample.self - p.self)) / (sample.total - p.total);
    const cores = Math.max(1, os.cpus().length);
    // fraction of the machine used by others: > half a core → one thread; < a sixth → all
    const want = others * cores > 0.5 ? 1 : others * cores < 1 / 6 ? this.max : this.current;
    if (want !== this.current) {
      this.current = want;
      this.A.configure({ threads: want });
    }
  }
}

let governor: ThreadGovernor | undefined;

/** Let the governor (if any) re-check the machine's load; called before every native kernel. */
export function governorTick(): void {
  governor?.tick();
}

/**
 * Threads from TSNAS_THREADS (fixed), else all cores with the load governor (one thread while
 * other processes keep the machine busy; TSNAS_ADAPTIVE_THREADS=0 turns that off).
 */
export function configuredThreads(A: NativeAddon): string {
  const env = Number(process.env.TSNAS_THREADS ?? 0);
  const cores = Math.max(1, os.cpus().length);
  if (env > 0) {
    if (A.info().threads !== env) A.configure({ threads: env });
    governor = undefined;
    return `${env} thread${env === 1 ? '' : 's'}`;
  }
  if (A.info().threads !== cores) A.configure({ threads: cores });
  const adaptive = process.env.TSNAS_ADAPTIVE_THREADS !== '0' && cores > 1 && existsSync('/proc/stat');
  governor = new ThreadGovernor(A, cores, adaptive);
  return `${cores} threads${adaptive ? ' (1 while the machine is busy)' : ''}`;
}
