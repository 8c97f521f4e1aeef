/** One entry point over both spaces: parse, format, sample, mutate, build networks. */
import { TsnasError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { canonicalNb201, formatNb201, mutateNb201, parseNb201, sampleNb201, type Nb201Arch } from './nb201.js';
import { formatGenotype, mutateGenotype, parseGenotype, sampleGenotype, type DartsGenotype } from './darts.js';
import { Nb201Network, NB201_EVAL_CONFIG, type Nb201NetConfig } from '../nn/nb201-net.js';
import { DartsNetwork, DARTS_EVAL_CONFIG, type DartsNetConfig } from '../nn/darts-net.js';
import type { Network } from '../nn/network.js';

export * from './nb201.js';
export * from './darts.js';

export type SpaceName = 'nb201' | 'darts';
export const SPACES: readonly SpaceName[] = ['nb201', 'darts'];

export type AnyArch =
  | { space: 'nb201'; arch: Nb201Arch; text: string }
  | { space: 'darts'; arch: DartsGenotype; text: string };

export function checkSpace(space: string): SpaceName {
  if (!(SPACES as readonly string[]).includes(space)) throw new TsnasError(`unknown search space '${space}' (expected nb201 or darts)`);
  return space as SpaceName;
}

export function parseArch(space: string, text: string): AnyArch {
  if (checkSpace(space) === 'nb201') {
    const arch = parseNb201(text);
    return { space: 'nb201', arch, text: formatNb201(arch) };
  }
  const arch = parseGenotype(text);
  return { space: 'darts', arch, text: formatGenotype(arch) };
}

export function sampleArch(space: SpaceName, rng: Rng): AnyArch {
  if (space === 'nb201') {
    const arch = sampleNb201(rng);
    return { space, arch, text: formatNb201(arch) };
  }
  const arch = sampleGenotype(rng);
  return { space, arch, text: formatGenotype(arch) };
}

export function mutateArch(a: AnyArch, rng: Rng): AnyArch {
  if (a.space === 'nb201') {
    const arch = mutateNb201(a.arch, rng);
    return { space: 'nb201', arch, text: formatNb201(arch) };
  }
  const arch = mutateGenotype(a.arch, rng);
  return { space: 'darts', arch, text: formatGenotype(arch) };
}

export interface EvalNetOverrides {
  C?: number;
  N?: number;
  layers?: number;
  numClasses?: number;
  inputShape?: readonly [number, number, number];
  auxiliary?: boolean;
}

/** The evaluation network of an architecture; defaults are the benchmarks' own sizes. */
export function buildEvalNetwork(space: SpaceName, a: AnyArch, rng: Rng, o: EvalNetOverrides = {}): Network {
  if (a.space !== space) throw new TsnasError(`architecture is from space ${a.space}, not ${space}`);
  if (a.space === 'nb201') {
    const cfg: Nb201NetConfig = { ...NB201_EVAL_CONFIG, ...pick(o, ['C', 'N', 'numClasses', 'inputShape']) };
    return new Nb201Network(a.arch, rng, cfg);
  }
  const cfg: DartsNetConfig = { ...DARTS_EVAL_CONFIG, ...pick(o, ['C', 'layers', 'numClasses', 'inputShape', 'auxiliary']) };
  return new DartsNetwork(a.arch, rng, cfg);
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

export { canonicalNb201 };
