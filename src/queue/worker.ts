/**
 * A trial worker: takes jobs from the shared BullMQ queue and runs each in a child process
 * (task-process.ts), one child per concurrency slot, started with the worker and kept between
 * jobs so the backend loads once (and a dataset once per child). The processor here only checks the job and waits, so the event loop keeps renewing
 * the job's lock while a network trains; a job whose worker died (lock not renewed) is moved back
 * to the queue by another worker's stalled-job check and runs again there, with the same payload
 * and therefore the same seed and result.
 *
 * Failures: a job whose kind or payload is not a known task, or whose task raised an error,
 * fails at once (UnrecoverableError: it would fail the same way again) and the worker goes on; a
 * child process that died mid-job makes the attempt fail and BullMQ retries it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { decodeState } from '../store/run.js';
import { TsnasError } from '../util/errors.js';
import { connectionOptions, parseRedisUrl, QUEUE_NAME } from './connection.js';
import { checkJob, type JobData } from './tasks.js';
import { parseDataDirs, type DataDirs } from './task-runners.js';
import type { FromTaskProcess, ToTaskProcess } from './task-process.js';

/** How a worker runs. */
export interface TrialWorkerOptions {
  /** Redis URL (redis:// or rediss://). */
  redis: string;
  /** Jobs at a time, each in its own child process (default 1). */
  concurrency?: number;
  /** TF.js backend the children start (default auto). */
  backend?: string;
  /** `DIR` or `name=DIR,...`: where this machine keeps the datasets jobs name. */
  dataDir?: string;
  /** Shown by `tsnas queue status` (default host-pid). */
  name?: string;
  /** How long a job's lock lasts without renewal, ms (default 30,000): how soon a dead worker's job runs again elsewhere. */
  lockMs?: number;
  /** One line of news (job started, done, failed, connection trouble). */
  log?: (msg: string) => void;
}

/** A running worker. */
export interface TrialWorker {
  readonly name: string;
  /** Stop taking jobs, let the running ones finish, end the children. */
  close(): Promise<void>;
}

function childEntry(): { file: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = new URL(`./task-process.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  return { file: file.pathname, execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : [] };
}

/** One child process, started on first use and again after it died. */
class TaskSlot {
  private proc: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 0;

  constructor(
    private readonly backend: string,
    private readonly dirs: DataDirs,
    private readonly log: (msg: string) => void,
  ) {}

  private start(): Promise<void> {
    const { file, execArgv } = childEntry();
    const p = fork(file, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.proc = p;
    p.on('exit', () => {
      if (this.proc === p) [this.proc, this.ready] = [undefined, undefined];
    });
    return new Promise<void>((resolve, reject) => {
      const onMsg = (m: FromTaskProcess) => {
        if (m.type === 'ready') {
          this.log(`task process ${p.pid}: ${m.backend}`);
          resolve();
        } else if (m.type === 'error' && m.id === -1) reject(new Error(m.message));
        else return;
        p.off('message', onMsg);
      };
      p.on('message', onMsg);
      p.once('exit', (code, signal) => reject(new Error(`task process exited with ${signal ?? `code ${code}`} while starting`)));
      p.send({ type: 'init', backend: this.backend, dirs: this.dirs } satisfies ToTaskProcess);
    });
  }

  /** Start the child (Node, TF.js, the backend) unless it runs: resolves once it is ready. */
  warm(): Promise<void> {
    if (!this.ready) this.ready = this.start();
    return this.ready;
  }

  /** Run one task; resolves with its encoded result, rejects with the task's error or the child's death. */
  async run(kind: string, payload: unknown): Promise<{ ok: true; value: string } | { ok: false; message: string }> {
    await this.warm();
    const p = this.proc!;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onMsg = (m: FromTaskProcess) => {
        if ((m.type !== 'result' && m.type !== 'error') || m.id !== id) return;
        cleanup();
        resolve(m.type === 'result' ? { ok: true, value: m.value } : { ok: false, message: m.message });
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(new Error(`task process exited with ${signal ?? `code ${code}`} mid-job`));
      };
      const cleanup = () => {
        p.off('message', onMsg);
        p.off('exit', onExit);
      };
      p.on('message', onMsg);
      p.on('exit', onExit);
      p.send({ type: 'run', id, kind: kind as never, payload } satisfies ToTaskProcess);
    });
  }

  stop(): void {
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) p.kill();
  }
}

/** Start a worker on the shared queue. */
export async function startTrialWorker(o: TrialWorkerOptions): Promise<TrialWorker> {
  const target = parseRedisUrl(o.redis);
  const concurrency = o.concurrency ?? 1;
  const dirs = parseDataDirs(o.dataDir);
  const name = o.name ?? `${os.hostname()}-${process.pid}`;
  const log = o.log ?? (() => {});
  // The children inherit TSNAS_THREADS only if the user set it. A fixed count per worker cannot
  // see the other workers on the machine (two `--concurrency 1` workers on 2 cores each ran
  // 2-thread oneDNN processes: 4 spinning threads on 2 cores, 2-3x slower than one worker); left
  // unset, each child's load governor (engine/native/threads.ts) drops to one thread while
  // anything else keeps the machine busy, its siblings and other workers included.
  const slots = Array.from({ length: concurrency }, () => new TaskSlot(o.backend ?? 'auto', dirs, log));
  const free = [...slots];
  const lockMs = o.lockMs ?? 30_000;
  // the children start before the first job, not inside it: a job's time is its task's, and a
  // backend that cannot start stops the worker here with its reason instead of failing every job
  try {
    await Promise.all(slots.map((s) => s.warm()));
  } catch (e) {
    for (const s of slots) s.stop();
    throw new TsnasError(`worker ${name}: a task process could not start: ${(e as Error).message}`);
  }

  const processor = async (job: Job<JobData>): Promise<string> => {
    let checked: ReturnType<typeof checkJob>;
    try {
      checked = checkJob(job.data);
    } catch (e) {
      log(`job ${job.id}: ${(e as Error).message}`);
      throw new UnrecoverableError((e as Error).message);
    }
    const slot = free.pop();
    if (!slot) throw new Error('no free task process (concurrency exceeded)');
    try {
      await job.updateProgress({ stage: 'running', worker: name });
      const r = await slot.run(checked.kind, checked.payload);
      if (!r.ok) {
        log(`job ${job.id}: ${r.message}`);
        throw new UnrecoverableError(r.message);
      }
      // validated on the coordinator's side too; here only that it decodes
      decodeState(r.value);
      return r.value;
    } finally {
      free.push(slot);
    }
  };

  const worker = new Worker<JobData, string>(QUEUE_NAME, processor, {
    connection: connectionOptions(o.redis),
    concurrency,
    name,
    lockDuration: lockMs,
    stalledInterval: Math.max(1000, Math.min(lockMs, 30_000)),
    // a job whose worker is killed again and again is still retried, not failed
    maxStalledCount: 20,
  });
  let lastError = '';
  worker.on('error', (e) => {
    // a Redis outage repeats the same error on every reconnect attempt: say it once
    if (e.message !== lastError) log(`redis ${target.display}: ${e.message}`);
    lastError = e.message;
  });
  worker.on('ready', () => {
    if (lastError) log(`redis ${target.display}: connected again`);
    lastError = '';
  });
  worker.on('failed', (job, e) => log(`job ${job?.id ?? '?'} failed: ${e.message}`));
  await worker.waitUntilReady();
  log(`worker ${name}: ${concurrency} task process(es), queue ${QUEUE_NAME} on ${target.display}`);
  return {
    name,
    async close() {
      await worker.close();
      for (const s of slots) s.stop();
    },
  };
}
