/** `tsnas queue status --redis URL`: jobs per run and state, and the workers connected now. */
import { Command } from 'commander';
import { queueStatus } from '../../queue/status.js';
import { emit } from '../common.js';

export function queueCommand(): Command {
  const queue = new Command('queue').description('The Redis queue of distributed trials');
  queue.addCommand(
    new Command('status')
      .description('Waiting, active, delayed, failed and completed jobs per run, and the workers seen')
      .requiredOption('--redis <url>', 'Redis URL: redis://[user:password@]host[:port][/db], or rediss:// for TLS')
      .option('--json', 'print exactly one JSON object as the last line of stdout')
      .option('--debug', 'show stack traces on errors')
      .action(async (o: { redis: string; json?: boolean }) => {
        const s = await queueStatus(o.redis);
        emit(o, s, () =>
          [
            `${s.queue} on ${s.redis}`,
            `jobs: ${Object.entries(s.totals)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`,
            ...s.runs.map((r) => `  ${r.run}: waiting ${r.waiting}, active ${r.active}, delayed ${r.delayed}, failed ${r.failed}, completed ${r.completed}`),
            `workers: ${s.workers.length}`,
            ...s.workers.map((w) => `  ${w.name} (${w.addr}, up ${w.ageS} s, idle ${w.idleS} s)`),
          ].join('\n'),
        );
      }),
  );
  return queue;
}
