/**
 * The one interface every search strategy implements (NNI's strategy, Optuna's sampler): a name,
 * its options as a zod schema (CLI flags, `--config` keys and the settings a resumed run must
 * match all come from it), and `run(ctx, options)`. The context carries what the strategy must
 * not reach for itself: the run that stores its trials, the stop signal, logging and progress.
 */
import { z } from 'zod';
import { BACKENDS } from '../engine/backend.js';
import type { Run } from '../store/run.js';
import type { SearchResult } from './result.js';

/** Progress of a long loop; the CLI draws bars from these, a program may ignore them. */
export interface ProgressEvent {
  /** What is progressing (e.g. 'score', 'epoch 3/20'). */
  label: string;
  done: number;
  total: number;
  /** Extra values worth showing (loss, accuracy, ...). */
  info?: Record<string, string | number>;
}

/** What a strategy is given besides its options. */
export interface SearchContext {
  /** Where trials, metrics and checkpoints go; without one nothing is stored and nothing can resume. */
  run?: Run;
  /** Aborted: stop after the current step and return a stopped, resumable result. */
  signal?: AbortSignal;
  /** One line of human-readable progress (the CLI writes it to stderr). */
  log: (msg: string) => void;
  /** Progress of long loops. */
  progress?: (e: ProgressEvent) => void;
  /** Start a TF.js backend by name ('auto', 'native', 'wasm', 'cpu', 'webgpu'). */
  startBackend: (name: string) => Promise<unknown>;
  /** True when the caller wants no chatter (the CLI's --json). */
  quiet?: boolean;
}

/** Options every strategy takes. */
export const baseSearchOptions = z.object({
  space: z.string().default('nb201').describe('search space: a registered name (nb201, darts, nb101, mobile, ...) or a space file (.yaml, .json, .ts)'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0)
    .describe('random seed'),
  backend: z.enum(BACKENDS).default('auto').describe('TF.js backend'),
  dataset: z.enum(['cifar10', 'fashion-mnist', 'synthetic', 'folder']).optional().describe('dataset (folder: your own images in --data-dir, one sub-folder per class)'),
  dataDir: z.string().optional().describe('directory holding the dataset files'),
  testDir: z.string().optional().describe('folder dataset: a separate folder of test images with the same class folders'),
  valSplit: z.number().gt(0).optional().describe('folder dataset: hold out a seeded, stratified fraction (or count) of --data-dir as the test split'),
  color: z.enum(['rgb', 'gray']).optional().describe('folder dataset: convert every image to rgb or gray (default: the images must agree)'),
  classNames: z.string().optional().describe('folder dataset: the classes in label order, comma-separated (default: the class folders sorted by name)'),
  bench: z.string().optional().describe('NAS-Bench-201 table (CSV, gzipped or not)'),
  out: z.string().optional().describe('output directory'),
  resume: z.boolean().optional().describe('continue an interrupted run (from the store, or from the checkpoint in --out)'),
});

/** The options every strategy takes, as parsed. */
export type BaseSearchOptions = z.output<typeof baseSearchOptions>;

/** A search strategy: registered once by name (see registry.ts), run through `search()`. */
export interface SearchStrategy<O extends BaseSearchOptions = BaseSearchOptions> {
  /** Registry key and CLI subcommand: `tsnas search <name>`. */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** The options, with defaults and descriptions (they become the CLI's flags). */
  readonly options: z.ZodType<O, z.input<typeof baseSearchOptions> & Record<string, unknown>>;
  /** Run the search; resolves with a stopped result when ctx.signal was aborted. */
  run(ctx: SearchContext, options: O): Promise<SearchResult>;
}
