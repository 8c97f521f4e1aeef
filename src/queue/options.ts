/** The option that sends a command's or strategy's trials to workers instead of running them here. */
import { z } from 'zod';

/** `--redis URL`: enqueue the trials on the shared queue for `tsnas worker` processes (anywhere) to run. */
export const queueOptions = z.object({
  redis: z.string().optional().describe('run the trials on `tsnas worker` processes through this Redis: redis://[user:password@]host[:port][/db], rediss:// for TLS'),
});
