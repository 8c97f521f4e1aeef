/** `tsnas dashboard`: serve the live dashboard of an experiment store until Ctrl-C. */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { defaultNb201Path, loadNb201Table, type Nb201Table } from '../../benchmarks/nb201-table.js';
import { startDashboard } from '../../dashboard/index.js';
import { TsnasError } from '../../util/errors.js';
import { emit, intArg, log } from '../common.js';
import { storePath } from '../tracking.js';

interface DashboardFlags {
  store?: string;
  host: string;
  port: number;
  token?: string;
  bench?: string;
  json?: boolean;
  debug?: boolean;
}

export function dashboardCommand(): Command {
  return new Command('dashboard')
    .description('Serve a live, read-only dashboard of the runs in a store (trials, best value, Pareto front, α heatmaps, curves) until Ctrl-C')
    .option('--store <file>', 'experiment store (SQLite); default $TSNAS_STORE or runs/tsnas.db')
    .option('--host <address>', 'address to bind; anything but 127.0.0.1/localhost/::1 requires a token', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', intArg('port', 0, 65535), 8080)
    .option('--token <secret>', 'token every request must carry (generated and printed when binding a non-local address without one)')
    .option('--bench <file>', 'NAS-Bench-201 table, for the true Pareto front of runs that did not store it')
    .option('--json', 'print exactly one JSON object (the address) once listening')
    .option('--debug', 'show stack traces on errors')
    .action(async (o: DashboardFlags) => {
      const path = storePath({ store: o.store });
      if (!existsSync(path)) throw new TsnasError(`no experiment store at ${path} (give --store FILE)`);
      let table: Nb201Table | undefined;
      if (o.bench) table = await loadNb201Table(o.bench);
      else if (existsSync(defaultNb201Path())) table = await loadNb201Table(defaultNb201Path()).catch(() => undefined);
      const d = await startDashboard({ store: path, host: o.host, port: o.port, token: o.token, table });
      if (d.tokenGenerated && !o.json) log(`generated token (give --token to choose one): ${d.token}`);
      emit(o, { url: d.url, host: d.host, port: d.port, store: path, tokenGenerated: d.tokenGenerated }, () => `dashboard of ${path} at ${d.url} (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void d.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
