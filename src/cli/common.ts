/**
 * The CLI contract every command follows: `--json` prints exactly one JSON object as the last
 * line of stdout; errors are one line on stderr and a non-zero exit (stack only with --debug).
 */
import { Command, Option } from 'commander';
import { BACKENDS, initBackend, type BackendInfo } from '../engine/backend.js';
import { TsnasError } from '../util/errors.js';

export interface CommonOptions {
  json?: boolean;
  debug?: boolean;
  backend: string;
  seed: number;
  dataset?: string;
  dataDir?: string;
  bench?: string;
  out?: string;
}

export function intArg(name: string, min = -Infinity, max = Infinity) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new TsnasError(`--${name} must be an integer in [${min}, ${max}], got '${v}'`);
    return n;
  };
}

export function numArg(name: string, min = -Infinity, max = Infinity) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new TsnasError(`--${name} must be a number in [${min}, ${max}], got '${v}'`);
    return n;
  };
}

/** Add the flags shared by every command. */
export function withCommon(cmd: Command): Command {
  return cmd
    .option('--json', 'print exactly one JSON object as the last line of stdout')
    .option('--debug', 'show stack traces on errors')
    .addOption(new Option('--backend <name>', 'TF.js backend').choices([...BACKENDS]).default('auto'))
    .option('--seed <n>', 'random seed', intArg('seed', 0, 2 ** 31 - 1), 0)
    .addOption(new Option('--dataset <name>', 'dataset').choices(['cifar10', 'fashion-mnist', 'synthetic']))
    .option('--data-dir <dir>', 'directory holding the dataset files')
    .option('--bench <file>', 'NAS-Bench-201 table (CSV, gzipped or not)')
    .option('--out <dir>', 'output directory');
}

/** Emit a result: human lines to stdout, or one JSON object as the last line with --json. */
export function emit(opts: { json?: boolean }, result: object, human: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/** Log progress to stderr (stdout stays clean for --json). */
export function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

export async function startBackend(opts: CommonOptions): Promise<BackendInfo> {
  const info = await initBackend(opts.backend);
  if (!opts.json) log(`backend: ${info.name} (${info.detail})`);
  return info;
}
