/** `tsnas worker --redis URL`: take trial jobs from the shared queue until Ctrl-C or SIGTERM. */
import { Command, Option } from 'commander';
import { BACKENDS } from '../../engine/backend.js';
import { startTrialWorker } from '../../queue/worker.js';
import { intArg, log } from '../common.js';

interface WorkerFlags {
  redis: string;
  concurrency: number;
  backend: string;
  dataDir?: string;
  name?: string;
  lockMs: number;
  debug?: boolean;
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('Run trials from the Redis queue (score, evaluate) that coordinators started with --redis enqueue; Ctrl-C finishes the running jobs and stops')
    .requiredOption('--redis <url>', 'Redis URL: redis://[user:password@]host[:port][/db], or rediss:// for TLS')
    .option('--concurrency <n>', 'jobs at a time, each in its own process', intArg('concurrency', 1, 256), 1)
    .addOption(new Option('--backend <name>', 'TF.js backend of the task processes').choices([...BACKENDS]).default('auto'))
    .option('--data-dir <dir>', 'where this machine keeps the datasets jobs name: DIR, or name=DIR,... (e.g. cifar10=/data/c10,fashion-mnist=/data/fm)')
    .option('--name <name>', 'name shown by `tsnas queue status` (default host-pid)')
    .option('--lock-ms <ms>', "a job's lock without renewal, ms: how soon the job of a worker that died runs elsewhere", intArg('lock-ms', 1000, 3_600_000), 30_000)
    .option('--debug', 'show stack traces on errors')
    .action(async (o: WorkerFlags) => {
      const worker = await startTrialWorker({ redis: o.redis, concurrency: o.concurrency, backend: o.backend, dataDir: o.dataDir, name: o.name, lockMs: o.lockMs, log });
      await new Promise<void>((resolve) => {
        const stop = () => {
          log(`worker ${worker.name}: stopping after the running jobs`);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void worker.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
