/**
 * The coordinator's side of distributed trials: a run hands over a batch of independent trials,
 * each becomes a job on the shared queue, and each result comes back once, checked by its task's
 * schema, through `onResult` (which writes it to the store).
 *
 * At least once, without duplicates: a job's id is the run's id and the trial's key, so adding a
 * trial that is already queued, running or finished adds nothing, and the store writes are
 * idempotent (a trial's row is keyed by its index). Finished jobs stay in Redis (a week), so a
 * coordinator that was killed and resumed (`tsnas runs resume`) collects what finished while it
 * was down and enqueues only what is missing; a job that failed is retried on resume.
 *
 * Results arrive through QueueEvents (a Redis stream), and a sweep every few seconds reads the
 * pending jobs directly: events missed while Redis restarted are found there, and a job Redis
 * lost (restarted without persistence) is enqueued again.
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import { decodeState } from '../store/run.js';
import { TsnasError } from '../util/errors.js';
import { connectionOptions, parseRedisUrl, QUEUE_NAME } from './connection.js';
import { TASKS, type JobData, type TaskKind, type TaskPayload, type TaskResult } from './tasks.js';

/** One trial of a batch: its key within the run (unique), the task and its payload. */
export interface QueuedTrial<K extends TaskKind = TaskKind> {
  key: string;
  kind: K;
  payload: TaskPayload<K>;
}

/** How a batch is waited for. */
export interface BatchOptions<K extends TaskKind> {
  /** Each result, once, as it lands (in completion order). */
  onResult: (trial: QueuedTrial<K>, result: TaskResult<K>) => void;
  /** Aborted: stop waiting (the jobs stay queued; a resumed run collects them). */
  signal?: AbortSignal;
  /** Trials done of the batch, after each result. */
  onProgress?: (done: number, total: number) => void;
  /** How often the pending jobs are read directly, ms (default 3,000). */
  sweepMs?: number;
}

/**
 * A job id of a trial: the run id (URI-encoded, so it holds no ':' and no '|') and the trial's key,
 * joined by '|'. BullMQ refuses ':' in custom ids (its key separator) and integer ids.
 */
export function trialJobId(runId: string, key: string): string {
  return `${encodeURIComponent(runId)}|${encodeURIComponent(key)}`;
}

/** The run id a job id of {@link trialJobId} belongs to (undefined for other ids). */
export function runOfJobId(id: string): string | undefined {
  const bar = id.indexOf('|');
  return bar > 0 ? decodeURIComponent(id.slice(0, bar)) : undefined;
}

const WEEK_S = 7 * 24 * 3600;
type Landing = (id: string, raw: unknown) => void;
type Failing = (id: string, reason: string) => void;
/** Job ids read per round trip in a sweep. */
const SWEEP_CHUNK = 1000;

/** A queue connection for a coordinator. */
export class TrialQueue {
  private constructor(
    readonly queue: Queue,
    private readonly events: QueueEvents,
    readonly display: string,
  ) {}

  /** Connect to the queue at a Redis URL (checked: a bad URL is a one-line error). */
  static async open(url: string): Promise<TrialQueue> {
    const target = parseRedisUrl(url);
    const connection = connectionOptions(url);
    const queue = new Queue(QUEUE_NAME, { connection });
    const events = new QueueEvents(QUEUE_NAME, { connection });
    // ioredis reports every failed reconnect; the sweep carries on regardless
    queue.on('error', () => {});
    events.on('error', () => {});
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    } catch (e) {
      await Promise.allSettled([queue.close(), events.close()]);
      throw new TsnasError(`cannot reach redis at ${target.display}: ${(e as Error).message}`);
    }
    return new TrialQueue(queue, events, target.display);
  }

  /**
   * Run a batch: enqueue the trials that are not already in the queue, collect the finished ones,
   * wait for the rest. Resolves when every trial has a result (`stopped: false`) or the signal
   * was aborted (`stopped: true`); rejects with a one-line error when a trial failed for good.
   */
  async runBatch<K extends TaskKind>(runId: string, trials: readonly QueuedTrial<K>[], o: BatchOptions<K>): Promise<{ stopped: boolean }> {
    const pending = new Map<string, QueuedTrial<K>>();
    for (const t of trials) pending.set(trialJobId(runId, t.key), t);
    if (pending.size !== trials.length) throw new Error('runBatch: trial keys repeat');
    const total = trials.length;
    let failure: Error | undefined;
    let wake: () => void = () => {};

    const land = (id: string, raw: unknown): void => {
      const t = pending.get(id);
      if (!t) return;
      let result: TaskResult<K>;
      try {
        const parsed = TASKS[t.kind].result.safeParse(typeof raw === 'string' ? decodeState(raw) : raw);
        if (!parsed.success) throw new Error(parsed.error.issues[0]!.message);
        result = parsed.data as TaskResult<K>;
      } catch (e) {
        failure ??= new TsnasError(`trial ${t.key} of run ${runId}: malformed result (${(e as Error).message})`);
        return wake();
      }
      pending.delete(id);
      o.onResult(t, result);
      o.onProgress?.(total - pending.size, total);
      wake();
    };
    const fail = (id: string, reason: string): void => {
      const t = pending.get(id);
      if (!t) return;
      failure ??= new TsnasError(`trial ${t.key} of run ${runId} failed on a worker: ${reason}`);
      wake();
    };

    const onCompleted = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => land(jobId, returnvalue);
    const onFailed = ({ jobId }: { jobId: string }) => {
      // 'failed' is emitted for the final failure only; read the job for its reason
      if (pending.has(jobId)) void this.readJobs([jobId], false, land, fail).catch(() => {});
    };
    this.events.on('completed', onCompleted);
    this.events.on('failed', onFailed);
    const onAbort = () => wake();
    o.signal?.addEventListener('abort', onAbort);
    try {
      o.onProgress?.(0, total);
      await this.sweep(runId, pending, true, land, fail);
      while (pending.size > 0 && !failure && !o.signal?.aborted) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, o.sweepMs ?? 3000);
        });
        wake = () => {};
        if (pending.size > 0 && !failure && !o.signal?.aborted) await this.sweep(runId, pending, false, land, fail).catch(() => {});
      }
    } finally {
      this.events.off('completed', onCompleted);
      this.events.off('failed', onFailed);
      o.signal?.removeEventListener('abort', onAbort);
    }
    if (failure) throw failure;
    return { stopped: pending.size > 0 };
  }

  /** Read jobs: completed ones land, failed ones fail or (on the first sweep) are retried; returns the ids Redis does not hold. */
  private async readJobs(ids: readonly string[], first: boolean, land: Landing, fail: Failing): Promise<string[]> {
    const missing: string[] = [];
    const jobs = await Promise.all(ids.map((id) => Job.fromId<JobData, string>(this.queue, id)));
    await Promise.all(
      jobs.map(async (job, k) => {
        const id = ids[k]!;
        if (!job) return void missing.push(id);
        if (job.finishedOn && job.returnvalue !== null && job.returnvalue !== undefined && !job.failedReason) return land(id, job.returnvalue);
        if (!job.finishedOn || !job.failedReason) return;
        const state = await job.getState();
        if (state === 'completed') return land(id, job.returnvalue);
        if (state !== 'failed') return;
        // a resumed run retries what failed before it; during a run a failure is final
        if (first) await job.retry('failed');
        else fail(id, job.failedReason);
      }),
    );
    return missing;
  }

  private async sweep<K extends TaskKind>(runId: string, pending: Map<string, QueuedTrial<K>>, first: boolean, land: Landing, fail: Failing): Promise<void> {
    const ids = [...pending.keys()];
    for (let i = 0; i < ids.length; i += SWEEP_CHUNK) {
      const missing = await this.readJobs(ids.slice(i, i + SWEEP_CHUNK), first, land, fail);
      const add = missing.filter((id) => pending.has(id)).map((id) => pending.get(id)!);
      if (add.length) {
        await this.queue.addBulk(
          add.map((t) => ({
            name: t.kind,
            data: { run: runId, kind: t.kind, payload: t.payload } satisfies JobData,
            opts: {
              jobId: trialJobId(runId, t.key),
              // a crashed task process is retried; a task's own error is final (the worker marks it unrecoverable)
              attempts: 5,
              backoff: { type: 'exponential', delay: 1000 },
              removeOnComplete: { age: WEEK_S },
              removeOnFail: { age: WEEK_S },
            },
          })),
        );
      }
    }
  }

  /** Close the connections (the jobs stay in Redis). */
  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}
