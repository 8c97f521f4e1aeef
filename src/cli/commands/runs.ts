/** `tsnas runs list|show RUN|rm RUN|resume RUN`: the runs kept in the experiment store. */
import { Command } from 'commander';
import { Store } from '../../store/store.js';
import { TsnasError } from '../../util/errors.js';
import type { z } from 'zod';
import { getStrategy } from '../../search/registry.js';
import { emit } from '../common.js';
import { beginRun, endRun, storePath } from '../tracking.js';
import { runSearchCommand } from './search.js';
import { pickSchemaValues } from '../zod-flags.js';

interface RunsFlags {
  store?: string;
  out?: string;
  json?: boolean;
  debug?: boolean;
}

function withStoreFlags(c: Command): Command {
  return c
    .option('--store <file>', 'experiment store (SQLite); default <out>/tsnas.db or runs/tsnas.db')
    .option('--out <dir>', 'output directory whose store to use')
    .option('--json', 'print exactly one JSON object as the last line of stdout')
    .option('--debug', 'show stack traces on errors');
}

function openExisting(o: RunsFlags): Store {
  return Store.open(storePath(o));
}

/** Strings in metric values longer than this are shown as their size (checkpoints: supernet weights, ...). */
const BLOB_CHARS = 1024;

/**
 * A metrics row for `runs show`: a resume checkpoint (scope 'checkpoint') shows the size of its
 * state, not the state (for TND-NAS's supernet mode that is megabytes of base64 weights); other
 * long strings likewise.
 */
function summariseBlobs(m: { scope: string; epoch: number; values: Record<string, unknown> }): { scope: string; epoch: number; values: Record<string, unknown> } {
  const values = Object.fromEntries(
    Object.entries(m.values).map(([k, v]) => (typeof v === 'string' && (m.scope === 'checkpoint' || v.length > BLOB_CHARS) ? [k, { omitted: true, bytes: Buffer.byteLength(v) }] : [k, v])),
  );
  return { ...m, values };
}

/**
 * Continue a search run from its stored configuration (strategy and options), not its argv: the
 * options are validated again by the strategy's schema, so a run stored by a tsnas whose options
 * have since changed is refused with the option named.
 */
async function resumeSearch(id: string, run: { config: Record<string, unknown> }, o: RunsFlags): Promise<void> {
  const strategy = getStrategy(String(run.config['strategy']));
  const keys = Object.keys((strategy.options as unknown as z.ZodObject).shape);
  const values = { ...pickSchemaValues(run.config, keys), resume: true };
  const flags = { ...run.config, json: o.json, debug: o.debug, store: storePath(o), runId: id, resume: true } as unknown as Parameters<typeof runSearchCommand>[1];
  beginRun(flags, 'search', ['runs', 'resume', id], run.config);
  try {
    await runSearchCommand(strategy, flags, values);
    endRun();
  } catch (e) {
    endRun(e instanceof Error ? e : new Error(String(e)));
    throw e;
  }
}

/**
 * `replay(argv)` runs a command line (main's own entry point, passed in so that this module does
 * not import main): commands other than search are continued by their argv with --resume.
 */
export function runsCommand(replay: (argv: string[]) => Promise<number>): Command {
  const runs = new Command('runs').description('List, show, remove and resume runs kept in the experiment store');
  runs.addCommand(
    withStoreFlags(new Command('list').description('List runs')).action((o: RunsFlags) => {
      const s = openExisting(o);
      const list = s.listRuns().map((r) => ({ id: r.id, command: r.command, status: r.status, seed: r.seed, trials: s.trials(r.id).length, created: r.createdAt }));
      s.close();
      emit(o, { store: storePath(o), runs: list }, () => (list.length ? list.map((r) => `${r.id}\t${r.command}\t${r.status}\ttrials=${r.trials}\t${r.created}`).join('\n') : 'no runs'));
    }),
  );
  runs.addCommand(
    withStoreFlags(new Command('show').description('Show one run: arguments, status, result, trials, metrics').argument('<run>')).action((id: string, o: RunsFlags) => {
      const s = openExisting(o);
      const run = s.requireRun(id);
      const detail = { ...run, trials: s.trials(id), metrics: s.metrics(id).map(summariseBlobs), artifacts: s.artifacts(id) };
      s.close();
      emit(
        o,
        detail,
        () =>
          `${run.id} (${run.command}, ${run.status})\nargv: ${run.argv.join(' ')}\ntrials: ${detail.trials.length}\nresult: ${JSON.stringify(run.result)}${run.error ? `\nerror: ${run.error}` : ''}`,
      );
    }),
  );
  runs.addCommand(
    withStoreFlags(new Command('rm').description('Remove a run and its trials and metrics from the store').argument('<run>')).action((id: string, o: RunsFlags) => {
      const s = openExisting(o);
      s.removeRun(id);
      s.close();
      emit(o, { removed: id }, () => `removed ${id}`);
    }),
  );
  runs.addCommand(
    withStoreFlags(new Command('resume').description('Continue a run with its original arguments and --resume').argument('<run>')).action(async (id: string, o: RunsFlags) => {
      const s = openExisting(o);
      const run = s.requireRun(id);
      s.close();
      if (run.status === 'done') throw new TsnasError(`run '${id}' is already done`);
      if (run.command === 'search' && typeof run.config['strategy'] === 'string') return resumeSearch(id, run, o);
      const argv = run.argv.filter((a) => a !== '--resume');
      const withId = argv.includes('--run-id') ? argv : [...argv, '--run-id', id];
      const withStore = withId.includes('--store') ? withId : [...withId, '--store', storePath(o)];
      const code = await replay([...withStore, '--resume']);
      if (code !== 0) throw new TsnasError(`resumed run '${id}' exited with status ${code}`, code);
    }),
  );
  return runs;
}
