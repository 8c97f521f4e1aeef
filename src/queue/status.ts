/** `tsnas queue status`: jobs per run and state, and the workers connected to the queue now. */
import { Queue } from 'bullmq';
import { TsnasError } from '../util/errors.js';
import { connectionOptions, parseRedisUrl, QUEUE_NAME } from './connection.js';
import { runOfJobId } from './coordinator.js';

/** The job states `queue status` counts (delayed: waiting out a retry's backoff). */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/** One of {@link JOB_STATES}. */
export type JobStateName = (typeof JOB_STATES)[number];

/** What `queue status` reports. */
export interface QueueStatus {
  redis: string;
  queue: string;
  /** Jobs per state over all runs. */
  totals: Record<JobStateName, number>;
  /** Jobs per state for each run with jobs in the queue (finished ones are kept a week). */
  runs: ({ run: string } & Record<JobStateName, number>)[];
  /** Workers connected now: name (from `tsnas worker --name`), address, seconds connected, seconds idle. */
  workers: { name: string; addr: string; ageS: number; idleS: number }[];
}

function zero(): Record<JobStateName, number> {
  return { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 };
}

/** Read the queue's jobs and workers. */
export async function queueStatus(url: string): Promise<QueueStatus> {
  const target = parseRedisUrl(url);
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(url) });
  queue.on('error', () => {});
  try {
    try {
      await queue.waitUntilReady();
    } catch (e) {
      throw new TsnasError(`cannot reach redis at ${target.display}: ${(e as Error).message}`);
    }
    const totals = zero();
    const byRun = new Map<string, Record<JobStateName, number>>();
    for (const state of JOB_STATES) {
      const ids = await queue.getRanges([state], 0, -1);
      for (const id of ids) {
        const run = runOfJobId(id) ?? '(other)';
        let r = byRun.get(run);
        if (!r) byRun.set(run, (r = zero()));
        r[state]++;
        totals[state]++;
      }
    }
    const workers = (await queue.getWorkers()).map((c) => ({
      name: String(c['rawname'] ?? '').split(':w:')[1] ?? '(unnamed)',
      addr: String(c['addr'] ?? ''),
      ageS: Number(c['age'] ?? 0),
      idleS: Number(c['idle'] ?? 0),
    }));
    return {
      redis: target.display,
      queue: QUEUE_NAME,
      totals,
      runs: [...byRun].sort(([a], [b]) => a.localeCompare(b)).map(([run, c]) => ({ run, ...c })),
      workers,
    };
  } finally {
    await queue.close();
  }
}
