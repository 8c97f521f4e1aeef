/**
 * The distributed trials' costs, on a redis-server this script starts (temp dir, free port):
 *
 *  - `overhead`: N no-op jobs through the coordinator (TrialQueue.runBatch) and `tsnas worker`
 *    processes: wall ms per job, the coordinator's CPU ms per job (its event loop's share),
 *    Redis commands per job (INFO commandstats) and Redis's CPU per job, and the store's cost per
 *    trial write (one transaction per trial, as scoreRemaining writes them).
 *  - `throughput`: NASWOT scoring (`tsnas search naswot --redis`) and trained NSGA-II
 *    (`--objectives accuracy:trained,params --preset cpu-small`) with 1 and 2 workers, wall seconds,
 *    and the CPU seconds and threads of the workers' task processes (from /proc): threads that
 *    outnumber the cores spin in oneDNN's barriers, which shows as CPU time per trial.
 *    `--parts naswot` runs one of the two; `--own-sessions` starts each worker in its own session.
 *
 * Usage: npx tsx bench/perf/queue-overhead.ts overhead --jobs 1000,10000 --workers 2 --concurrency 4
 *        npx tsx bench/perf/queue-overhead.ts throughput --n 200 --budget 20 --data-dir ../shared/data/cifar10
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { TrialQueue } from '../../src/queue/coordinator.js';
import { Run } from '../../src/store/run.js';

const args = process.argv.slice(2);
const mode = args[0];
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tsnas.js');
const ENV = { ...process.env, TSNAS_FROM_SOURCE: '1' };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function startRedis(): Promise<{ url: string; proc: ChildProcess; port: number }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-bench-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1');
      c.on('connect', () => (c.destroy(), r(true)));
      c.on('error', () => r(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: `redis://127.0.0.1:${port}`, proc, port };
}

/**
 * `--own-sessions`: each worker in a session of its own, as when started from its own shell or
 * service. Linux's autogroup scheduling shares the CPU between sessions first, so on a machine
 * busy with other sessions, workers started from one session split one session's share.
 */
const ownSessions = args.includes('--own-sessions');

/** Start `n` workers and wait until every one has its task processes ready (worker start-up is not timed). */
async function startWorkers(url: string, n: number, concurrency: number, extra: string[] = []): Promise<ChildProcess[]> {
  const ps = Array.from({ length: n }, (_, k) =>
    spawn(process.execPath, [BIN, 'worker', '--redis', url, '--concurrency', String(concurrency), '--name', `bench-${k}`, ...extra], {
      env: ENV,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: ownSessions,
    }),
  );
  await Promise.all(
    ps.map(
      (p) =>
        new Promise<void>((resolve, reject) => {
          let log = '';
          p.stderr!.on('data', (d: Buffer) => {
            process.stderr.write(d);
            log += d;
            if (/^worker .*task process\(es\), queue/m.test(log)) resolve();
          });
          p.once('exit', (code) => reject(new Error(`a worker exited with ${code} while starting: ${log}`)));
        }),
    ),
  );
  return ps;
}

async function stop(ps: ChildProcess[]): Promise<void> {
  await Promise.all(ps.map((p) => new Promise<void>((r) => (p.exitCode !== null ? r() : (p.once('exit', () => r()), p.kill('SIGTERM'))))));
}

async function redisStats(port: number): Promise<{ calls: number; cpuS: number }> {
  const r = new Redis({ port, host: '127.0.0.1' });
  const stats = await r.info('commandstats');
  const cpu = await r.info('cpu');
  await r.quit();
  const calls = [...stats.matchAll(/calls=(\d+)/g)].reduce((s, m) => s + Number(m[1]), 0);
  const num = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(cpu)![1]);
  return { calls, cpuS: num('used_cpu_sys') + num('used_cpu_user') };
}

async function overhead(): Promise<void> {
  const sizes = flag('jobs', '1000,10000').split(',').map(Number);
  const { url, proc, port } = await startRedis();
  const workers = await startWorkers(url, Number(flag('workers', '2')), Number(flag('concurrency', '4')));
  const q = await TrialQueue.open(url);
  // warm-up: every worker's task processes started (each loads Node, tsx and TF.js once)
  await q.runBatch(
    'warmup',
    Array.from({ length: 500 }, (_, i) => ({ key: String(i), kind: 'noop' as const, payload: { n: i } })),
    { onResult: () => {} },
  );
  const rows: Record<string, number>[] = [];
  for (const n of sizes) {
    const before = await redisStats(port);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let got = 0;
    await q.runBatch(
      `noop-${n}`,
      Array.from({ length: n }, (_, i) => ({ key: String(i), kind: 'noop' as const, payload: { n: i } })),
      { onResult: () => void got++ },
    );
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const after = await redisStats(port);
    if (got !== n) throw new Error(`got ${got} of ${n}`);
    rows.push({
      jobs: n,
      wall_ms_per_job: wall / n,
      coordinator_cpu_ms_per_job: (cpu.user + cpu.system) / 1000 / n,
      redis_cmds_per_job: (after.calls - before.calls) / n,
      redis_cpu_ms_per_job: ((after.cpuS - before.cpuS) * 1000) / n,
    });
  }
  await q.close();
  await stop(workers);
  proc.kill('SIGTERM');
  // the SQLite writer: one transaction per trial, as the coordinator writes results
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-bench-store-'));
  const run = Run.open({ store: join(dir, 'x.db'), command: 'bench' });
  const N = 10_000;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) run.saveProgress([{ idx: i, arch: `arch-${i}`, status: 'done', scores: { naswot: i }, objectives: {} }]);
  const storeMs = (performance.now() - t0) / N;
  run.finish();
  console.log(JSON.stringify({ mode: 'overhead', rows, sqlite_ms_per_trial_write: storeMs, load: readFileSync('/proc/loadavg', 'utf8').trim() }));
}

/** The task processes of these workers (their children), from /proc: CPU seconds and threads, summed. */
function taskProcs(workers: ChildProcess[]): { cpuS: number; threads: number } {
  const ppids = new Set(workers.map((w) => w.pid));
  let cpuS = 0;
  let threads = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let st: string;
    try {
      st = readFileSync(`/proc/${d}/stat`, 'latin1');
    } catch {
      continue;
    }
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    if (!ppids.has(Number(f[1]))) continue;
    cpuS += (Number(f[11]) + Number(f[12])) / 100;
    threads += Number(f[17]);
  }
  return { cpuS, threads };
}

async function timed(cmd: string[]): Promise<number> {
  const t0 = performance.now();
  const code = await new Promise<number | null>((r) => spawn(process.execPath, [BIN, ...cmd], { env: ENV, stdio: ['ignore', 'ignore', 'inherit'] }).on('exit', r));
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited with ${code}`);
  return (performance.now() - t0) / 1000;
}

async function throughput(): Promise<void> {
  const n = flag('n', '200');
  const budget = flag('budget', '20');
  const dataDir = flag('data-dir', join('..', 'shared', 'data', 'cifar10'));
  const { url, proc } = await startRedis();
  const store = join(mkdtempSync(join(tmpdir(), 'tsnas-bench-tp-')), 'x.db');
  const parts = flag('parts', 'naswot,nsga2').split(',');
  const out: Record<string, number>[] = [];
  for (const w of [1, 2]) {
    const workers = await startWorkers(url, w, 1, ['--backend', 'native', '--data-dir', dataDir]);
    const row: Record<string, number> = { workers: w };
    if (parts.includes('naswot')) {
      const cpu0 = taskProcs(workers).cpuS;
      const s = await timed(['search', 'naswot', '--n', n, '--batch', '64', '--dataset', 'cifar10', '--seed', '0', '--redis', url, '--store', store, '--no-progress', '--json']);
      const tp = taskProcs(workers);
      Object.assign(row, { naswot_s: s, naswot_archs_per_s: Number(n) / s, naswot_task_cpu_s: tp.cpuS - cpu0, task_threads: tp.threads });
    }
    if (parts.includes('nsga2')) {
      const cpu0 = taskProcs(workers).cpuS;
      const s = await timed([
        'search',
        'nsga2',
        '--objectives',
        'accuracy:trained,params',
        '--preset',
        'cpu-small',
        '--dataset',
        'cifar10',
        '--budget',
        budget,
        '--pop-size',
        String(Number(budget) / 2),
        '--seed',
        '0',
        '--redis',
        url,
        '--store',
        store,
        '--no-progress',
        '--json',
      ]);
      const tp = taskProcs(workers);
      Object.assign(row, { nsga2_s: s, nsga2_evals_per_min: (Number(budget) / s) * 60, nsga2_task_cpu_s: tp.cpuS - cpu0, task_threads: tp.threads });
    }
    await stop(workers);
    out.push(row);
  }
  proc.kill('SIGTERM');
  console.log(JSON.stringify({ mode: 'throughput', n: Number(n), budget: Number(budget), rows: out, load: readFileSync('/proc/loadavg', 'utf8').trim() }));
}

if (mode === 'overhead') await overhead();
else if (mode === 'throughput') await throughput();
else throw new Error('usage: queue-overhead.ts overhead|throughput [flags]');
