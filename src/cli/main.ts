#!/usr/bin/env node
/** tsnas command line: `tsnas <command> [flags]`, `--help` on every command. */
import { Command, CommanderError } from 'commander';
import { getStrategy } from '../search/registry.js';
import { isSpacePath, resolveSpace } from '../spaces/index.js';
import { TsnasError } from '../util/errors.js';
import { archCommand } from './commands/arch.js';
import { COMMANDS } from './commands/index.js';
import { runsCommand } from './commands/runs.js';
import { configToArgs, readConfig } from './config.js';
import { io } from './common.js';
import { TRACKED_COMMANDS, beginRun, endRun } from './tracking.js';

export function buildProgram(): Command {
  const program = new Command('tsnas')
    .description('Neural architecture search on TensorFlow.js: training-free scoring, differentiable and multi-objective search')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => io.err(s), writeOut: (s) => io.out(s) });
  program.addCommand(archCommand());
  for (const make of COMMANDS) program.addCommand(make());
  program.addCommand(runsCommand((argv) => main(argv)));
  for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: (s) => io.err(s), writeOut: (s) => io.out(s) });
  // a space module (--space ./my-space.ts) is imported before the command runs (nothing stored if it fails)
  program.hook('preAction', async (_root, action) => {
    const space = (action.opts() as { space?: unknown }).space;
    if (typeof space === 'string' && isSpacePath(space)) await resolveSpace(space);
  });
  program.hook('preAction', (_root, action) => {
    const top = topCommand(action);
    if (!TRACKED_COMMANDS.has(top.name())) return;
    const o = action.opts() as { store?: string; out?: string; runId?: string; seed?: number; resume?: boolean };
    // a search run records its strategy: `runs resume` and a bare --resume find it by that
    const config = top.name() === 'search' && action !== top ? { strategy: action.name(), ...action.opts() } : action.opts();
    beginRun(o, top.name(), currentArgv, config);
  });
  program.hook('postAction', () => endRun());
  return program;
}

let currentArgv: string[] = [];

function topCommand(c: Command): Command {
  let t = c;
  while (t.parent && t.parent.parent) t = t.parent;
  return t;
}

/** Expand `--config FILE` into flags for the command named first in argv. */
function expandConfig(program: Command, argv: string[]): string[] {
  const i = argv.indexOf('--config');
  const eq = argv.find((a) => a.startsWith('--config='));
  const file = eq ? eq.slice('--config='.length) : i >= 0 ? argv[i + 1] : undefined;
  if (!file) return argv;
  if (argv[0] === 'search' && (argv[1] === undefined || argv[1].startsWith('-'))) {
    // `tsnas search --config FILE` with `strategy: NAME` in the file
    const raw = readConfig(file) as Record<string, unknown> | null;
    const name = raw && typeof raw === 'object' ? raw['strategy'] : undefined;
    if (typeof name === 'string') {
      getStrategy(name);
      argv = ['search', name, ...argv.slice(1)];
    }
  }
  let cmd = program.commands.find((c) => c.name() === argv[0]);
  if (cmd && argv[1] && cmd.commands.length) cmd = cmd.commands.find((c) => c.name() === argv[1]) ?? cmd;
  if (!cmd) return argv;
  return [...argv, ...configToArgs(cmd, file, argv)];
}

/**
 * `search --strategy NAME ...` is `search NAME ...` (the strategies are subcommands); an unknown
 * name is an error listing the known ones.
 */
function strategyAsSubcommand(argv: string[]): string[] {
  if (argv[0] !== 'search') return argv;
  const i = argv.findIndex((a) => a === '--strategy' || a.startsWith('--strategy='));
  if (i < 0) return argv;
  const name = argv[i] === '--strategy' ? argv[i + 1] : argv[i]!.slice('--strategy='.length);
  if (!name) throw new TsnasError('--strategy needs a name');
  getStrategy(name);
  const rest = argv.filter((_, k) => k !== i && !(argv[i] === '--strategy' && k === i + 1));
  return ['search', name, ...rest.slice(1)];
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    const program = buildProgram();
    currentArgv = expandConfig(program, strategyAsSubcommand(argv));
    await program.parseAsync(currentArgv, { from: 'user' });
    return 0;
  } catch (e) {
    if (!(e instanceof CommanderError)) endRun(e instanceof Error ? e : new Error(String(e)));
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`tsnas: error: ${msg.split('\n')[0]}\n`);
    if (debug && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
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
