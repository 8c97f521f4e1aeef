#!/usr/bin/env node
/** tsnas command line: `tsnas <command> [flags]`, `--help` on every command. */
import { Command, CommanderError } from 'commander';
import { TsnasError } from '../util/errors.js';
import { archCommand } from './commands/arch.js';
import { COMMANDS } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('tsnas')
    .description('Neural architecture search on TensorFlow.js: training-free scoring, differentiable and multi-objective search')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.addCommand(archCommand());
  for (const make of COMMANDS) program.addCommand(make());
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`tsnas: error: ${msg.split('\n')[0]}\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return e instanceof TsnasError ? e.exitCode : 1;
  }
}

const invoked = process.argv[1] ?? '';
if (/main\.(ts|js)$/.test(invoked)) {
  // Silence TF.js's "install tfjs-node" banner: it is advice for a package this project cannot use.
  const warn = console.warn;
  console.warn = (...a: unknown[]) => (String(a[0]).includes('tfjs-node') ? undefined : warn(...a));
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
