/** `tsnas arch`: parse an architecture and report its params and FLOPs on the evaluation network. */
import { Command, Option } from 'commander';
import { buildEvalNetwork, parseArch, type SpaceName } from '../../spaces/index.js';
import { Rng } from '../../util/rng.js';
import { emit, startBackend, withCommon, type CommonOptions } from '../common.js';

export function archCommand(): Command {
  return withCommon(
    new Command('arch')
      .description('Validate an architecture and count params and FLOPs of its evaluation network (NB201: C=16, N=5; DARTS: 20 cells, C=36), per 32×32 image, 10 classes')
      .addOption(new Option('--space <space>', 'search space').choices(['nb201', 'darts']).makeOptionMandatory())
      .requiredOption('--arch <str>', 'NB201 arch string or DARTS Genotype(...) text'),
  ).action(async (o: CommonOptions & { space: SpaceName; arch: string }) => {
    const arch = parseArch(o.space, o.arch);
    await startBackend(o);
    const net = buildEvalNetwork(o.space, arch, new Rng(o.seed));
    const params = net.paramCount() / 1e6;
    const flops = net.flopsPerImage() / 1e6;
    net.dispose();
    const canonical = arch.text;
    emit(o, { arch: canonical, space: o.space, params, flops }, () => `${canonical}\nparams: ${params.toFixed(6)} M\nFLOPs:  ${flops.toFixed(4)} M`);
  });
}
