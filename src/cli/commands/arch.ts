/**
 * `tsnas arch`: parse an architecture and report its params and FLOPs on the evaluation network,
 * or (`--random N`) draw N architectures uniformly from a space: the random baselines that searched
 * architectures must beat, one per line, ready for `tsnas score --arch-file` or `tsnas train --arch`.
 */
import { Command } from 'commander';
import { buildEvalNetwork, parseArch, sampleArch, type AnyArch, type SpaceName } from '../../spaces/index.js';
import { TsnasError } from '../../util/errors.js';
import { intArg } from '../../util/flag-parsers.js';
import { Rng } from '../../util/rng.js';
import { emit, startBackend, spaceOption, withCommon, type CommonOptions } from '../common.js';

interface ArchOptions extends CommonOptions {
  space: SpaceName;
  arch?: string;
  random?: number;
}

function countOf(arch: AnyArch, space: SpaceName, seed: number): { arch: string; params: number; flops: number } {
  const net = buildEvalNetwork(space, arch, new Rng(seed));
  const out = { arch: arch.text, params: net.paramCount() / 1e6, flops: net.flopsPerImage() / 1e6 };
  net.dispose();
  return out;
}

export function archCommand(): Command {
  return withCommon(
    new Command('arch')
      .description(
        'Validate an architecture and count params and FLOPs of its evaluation network (NB201: C=16, N=5; DARTS: 20 cells, C=36; NB101: stem 128, 3 stacks × 3 cells), per 32×32 image, 10 classes; or draw random architectures',
      )
      .addOption(spaceOption().makeOptionMandatory())
      .option('--arch <str>', 'NB201 arch string, DARTS Genotype(...) text, or NB101 cell (JSON {"matrix":[[...]],"ops":[...]} or BITS|OP,OP,...)')
      .option(
        '--random <n>',
        "draw n architectures uniformly (DARTS: ops uniform over the 7 non-none ops, two distinct inputs per node; NB101: as NB101's own sampler, edges with p=1/2 until valid), seeded by --seed",
        intArg('random', 1, 1_000_000),
      ),
  ).action(async (o: ArchOptions) => {
    if ((o.arch === undefined) === (o.random === undefined)) throw new TsnasError('give exactly one of --arch STR or --random N');
    if (o.random !== undefined) {
      const rng = new Rng(o.seed);
      const archs = Array.from({ length: o.random }, () => sampleArch(o.space, rng));
      // Counting builds each evaluation network (about 1 s per DARTS genotype); only --json reports counts.
      let listed: { arch: string; params?: number; flops?: number }[] = archs.map((a) => ({ arch: a.text }));
      if (o.json) {
        await startBackend(o);
        listed = archs.map((a) => countOf(a, o.space, o.seed));
      }
      emit(o, { space: o.space, seed: o.seed, archs: listed }, () => listed.map((c) => c.arch).join('\n'));
      return;
    }
    const arch = parseArch(o.space, o.arch!);
    await startBackend(o);
    const c = countOf(arch, o.space, o.seed);
    emit(o, { arch: c.arch, space: o.space, params: c.params, flops: c.flops }, () => `${c.arch}\nparams: ${c.params.toFixed(6)} M\nFLOPs:  ${c.flops.toFixed(4)} M`);
  });
}
