/**
 * Scoring a pool across worker processes. Scoring is embarrassingly parallel across
 * architectures, and one-thread processes side by side beat one process on all cores: the
 * memory-bound kernels and the per-architecture host work (building the net, log-dets) do not
 * split across OpenMP threads well. Measured on a 2-vCPU Xeon: 0.42 s per NB201 architecture
 * per one-thread worker, i.e. 0.21 s/arch for two, against 0.283 s/arch for one two-thread
 * process (BENCHMARKS.md). Workers get architectures one at a time (a slow one does not hold
 * the rest up); results come back in completion order through `onResult`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import type { AnyArch, SpaceName } from '../spaces/index.js';
import type { ArchScore, ScoreContext } from './index.js';
import type { PoolOptions } from './run.js';

export type ToWorker = { type: 'init'; backend: string; ctx: ScoreContext; proxies: string[]; modules?: string[] } | { type: 'arch'; k: number; space: SpaceName; text: string } | { type: 'exit' };
type FromWorker = { type: 'ready' } | { type: 'result'; k: number; result: ArchScore } | { type: 'error'; k: number; message: string };

export interface WorkerPoolOptions extends PoolOptions {
  workers: number;
  /** Backend the workers start (the parent's resolved one, not `auto`). */
  backend: string;
  shouldStop?: () => boolean;
  /**
   * Modules (URLs or absolute paths) each worker imports before scoring: where proxies registered
   * with registerProxy live, since a registration made in this process does not reach the workers.
   */
  proxyModules?: string[];
}

/** A worker takes 2–3 s to start (Node, TF.js, the backend, the data): below this many architectures each, one process is faster. */
const MIN_ARCHS_PER_WORKER = 20;

/** Workers for `--workers auto`: one per core on the CPU backends, if each gets at least MIN_ARCHS_PER_WORKER architectures. */
export function autoWorkers(backend: string, archCount: number): number {
  if (!['native', 'cpu', 'wasm'].includes(backend)) return 1;
  return Math.max(1, Math.min(coreCount(), Math.floor(archCount / MIN_ARCHS_PER_WORKER)));
}

function coreCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function workerEntry(): { file: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = new URL(`./score-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  // from source, the worker needs tsx's loader too (resolved from here, not from the cwd)
  return { file: file.pathname, execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : [] };
}

/**
 * Score `archs` on `o.workers` processes. Each worker runs with TSNAS_THREADS = cores / workers
 * (unless TSNAS_THREADS is set). Stops dispatching once `shouldStop()` is true and returns after
 * the architectures in flight; `stopped` says whether any were left.
 */
export async function scorePoolWorkers(archs: readonly AnyArch[], proxies: string[], ctx: ScoreContext, o: WorkerPoolOptions): Promise<{ scored: number; stopped: boolean }> {
  const n = Math.max(1, Math.min(o.workers, archs.length));
  const env = { ...process.env, TSNAS_THREADS: process.env.TSNAS_THREADS ?? String(Math.max(1, Math.floor(coreCount() / n))) };
  const { file, execArgv } = workerEntry();
  let next = 0;
  let scored = 0;
  const procs: ChildProcess[] = [];
  o.onProgress?.({ done: 0, total: archs.length });
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      let live = n;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        reject(e);
      };
      const feed = (p: ChildProcess) => {
        if (failed) return;
        if (next >= archs.length || o.shouldStop?.()) {
          p.send({ type: 'exit' } satisfies ToWorker);
          return;
        }
        const k = next++;
        p.send({ type: 'arch', k, space: archs[k]!.space, text: archs[k]!.text } satisfies ToWorker);
      };
      for (let w = 0; w < n; w++) {
        const p = fork(file, [], { execArgv, env, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        procs.push(p);
        p.on('message', (raw) => {
          const m = raw as FromWorker;
          if (m.type === 'ready') return feed(p);
          if (m.type === 'error') return fail(new Error(m.k >= 0 ? `scoring ${archs[m.k]!.text}: ${m.message}` : m.message));
          scored++;
          o.onResult?.(m.result, m.k);
          o.onProgress?.({ done: scored, total: archs.length, arch: m.result.arch });
          feed(p);
        });
        p.on('error', (e) => fail(e));
        p.on('exit', (code, signal) => {
          if (code !== 0 && !failed) fail(new Error(`scoring worker exited with ${signal ?? `code ${code}`}`));
          if (--live === 0 && !failed) resolve();
        });
        p.send({ type: 'init', backend: o.backend, ctx, proxies, modules: o.proxyModules } satisfies ToWorker);
      }
    });
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill();
  }
  return { scored, stopped: next < archs.length };
}
