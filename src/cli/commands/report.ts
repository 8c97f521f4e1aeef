/** `tsnas report RUN --out report.html`: one self-contained HTML page of a run's charts (Vega-Lite). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { defaultNb201Path, loadNb201Table, type Nb201Table } from '../../benchmarks/nb201-table.js';
import { Store } from '../../store/store.js';
import { writeReport } from '../../report/index.js';
import { TsnasError } from '../../util/errors.js';
import { emit, log } from '../common.js';
import { storePath } from '../tracking.js';

interface ReportFlags {
  store?: string;
  out: string;
  bench?: string;
  json?: boolean;
  debug?: boolean;
}

export function reportCommand(): Command {
  return new Command('report')
    .description('Write one self-contained HTML page with the charts of a run: proxy vs accuracy, α over epochs, collapse diagnostics, Pareto front, training and DTB curves')
    .argument('<run>', "run id (see 'tsnas runs list')")
    .option('--store <file>', 'experiment store (SQLite); default $TSNAS_STORE or runs/tsnas.db')
    .option('--out <file>', 'HTML file to write', 'report.html')
    .option('--bench <file>', 'NAS-Bench-201 table, for the true Pareto front of multi-objective runs that did not store it')
    .option('--config <file>', 'read flags from a YAML or JSON file (command-line flags win)')
    .option('--json', 'print exactly one JSON object as the last line of stdout')
    .option('--debug', 'show stack traces on errors')
    .action(async (id: string, o: ReportFlags) => {
      const path = storePath({ store: o.store });
      if (!existsSync(path)) throw new TsnasError(`no experiment store at ${path} (give --store FILE)`);
      let table: Nb201Table | undefined;
      if (o.bench) table = await loadNb201Table(o.bench);
      const store = Store.open(path);
      try {
        const run = store.requireRun(id);
        // The true NB201 front is drawn where known: stored by the search, or from the table.
        if (!table && run.command === 'search' && store.metrics(id, 'pareto-true').length === 0 && existsSync(defaultNb201Path())) {
          const r = run.result as { pareto?: unknown; space?: string } | null;
          if (r?.pareto && r.space === 'nb201') table = await loadNb201Table(defaultNb201Path()).catch(() => undefined);
        }
        const out = resolve(o.out);
        const w = writeReport(store, id, out, { table });
        if (!o.json) log(`${w.charts.length} charts: ${w.charts.map((c) => c.kind).join(', ') || 'none'}`);
        emit(
          o,
          { run: id, out, bytes: w.bytes, charts: w.charts.map((c) => ({ id: c.id, kind: c.kind, title: c.title })) },
          () => `wrote ${out} (${(w.bytes / 1e6).toFixed(1)} MB, ${w.charts.length} charts)`,
        );
      } finally {
        store.close();
      }
    });
}
