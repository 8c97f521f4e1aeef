/**
 * The CLI contract every command follows: `--json` prints exactly one JSON object as the last
 * line of stdout; errors are one line on stderr and a non-zero exit (stack only with --debug).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKENDS, initBackend, type BackendInfo } from '../engine/backend.js';
import { resolve } from 'node:path';
import { checkSpace, isSpacePath, listSpaces } from '../spaces/index.js';
import { TsnasError } from '../util/errors.js';
import { recordResult } from './tracking.js';

export interface CommonOptions {
  json?: boolean;
  debug?: boolean;
  backend: string;
  seed: number;
  dataset?: string;
  dataDir?: string;
  testDir?: string;
  valSplit?: number;
  color?: string;
  classNames?: string;
  bench?: string;
  out?: string;
  config?: string;
  store?: string;
  runId?: string;
}

export { intArg, numArg } from '../util/flag-parsers.js';
import { intArg, numArg } from '../util/flag-parsers.js';

/**
 * A --space value: a registered space's name, or a space file's path made absolute (loaded by
 * main.ts's hook), so that a stored run finds its space from any directory.
 */
export function parseSpaceArg(v: string): string {
  try {
    return isSpacePath(v) ? resolve(v) : checkSpace(v);
  } catch (e) {
    if (e instanceof TsnasError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

/** The --space option: a registered name or a space file (.yaml, .yml, .json, .ts, .js). */
export function spaceOption(description = 'search space'): Option {
  return new Option('--space <space>', `${description}: ${listSpaces().join(', ')}, or a space file (.yaml, .json, .ts)`).argParser(parseSpaceArg);
}

/** Add the flags shared by every command. */
export function withCommon(cmd: Command): Command {
  return cmd
    .option('--json', 'print exactly one JSON object as the last line of stdout')
    .option('--debug', 'show stack traces on errors')
    .addOption(new Option('--backend <name>', 'TF.js backend').choices([...BACKENDS]).default('auto'))
    .option('--seed <n>', 'random seed', intArg('seed', 0, 2 ** 31 - 1), 0)
    .addOption(new Option('--dataset <name>', 'dataset (folder: your own images in --data-dir, one sub-folder per class)').choices(['cifar10', 'fashion-mnist', 'synthetic', 'folder']))
    .option('--data-dir <dir>', 'directory holding the dataset files')
    .option('--test-dir <dir>', 'folder dataset: a separate folder of test images with the same class folders')
    .option('--val-split <x>', 'folder dataset: hold out a seeded, stratified fraction (or count) of --data-dir as the test split', numArg('val-split', 0, 1e9))
    .addOption(new Option('--color <mode>', 'folder dataset: convert every image to rgb or gray (default: the images must agree)').choices(['rgb', 'gray']))
    .option('--class-names <list>', 'folder dataset: the classes in label order, comma-separated (default: the class folders sorted by name)')
    .option('--bench <file>', 'NAS-Bench-201 table (CSV, gzipped or not)')
    .option('--out <dir>', 'output directory')
    .option('--config <file>', 'read flags from a YAML or JSON file (command-line flags win)')
    .option('--store <file>', 'experiment store (SQLite); default <out>/tsnas.db or runs/tsnas.db')
    .option('--run-id <id>', 'name of this run in the store');
}

/**
 * Where the CLI writes. Tests swap these (never process.stdout itself: node's test runner reports
 * through it).
 */
export const io = {
  out: (s: string): void => void process.stdout.write(s),
  err: (s: string): void => void process.stderr.write(s),
};

/** Emit a result: human lines to stdout, or one JSON object as the last line with --json. */
export function emit(opts: { json?: boolean }, result: object, human: () => string): void {
  recordResult(result);
  if (opts.json) io.out(`${JSON.stringify(result)}\n`);
  else io.out(`${human()}\n`);
}

/** Log progress to stderr (stdout stays clean for --json). */
export function log(msg: string): void {
  io.err(`${msg}\n`);
}

export async function startBackend(opts: CommonOptions): Promise<BackendInfo> {
  const info = await initBackend(opts.backend);
  if (!opts.json) log(`backend: ${info.name} (${info.detail})`);
  return info;
}
