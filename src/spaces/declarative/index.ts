/**
 * Declarative search spaces, in the spirit of NNI's mutables: named decisions (value choices,
 * layer choices among blocks, input choices among earlier outputs, repeats) over a small block
 * vocabulary, written as a YAML/JSON file or in TypeScript with the helpers below:
 *
 *   export default defineSpace({
 *     name: 'tiny',
 *     layers: [
 *       { type: 'conv', kernel: choice('k', [3, 5]), channels: 16 },
 *       repeat('depth', [1, 2], { type: 'mbconv', kernel: '$k', expansion: 3, channels: 16 }),
 *       layerChoice('op', { conv: { type: 'conv', kernel: 3, channels: 16 }, skip: { type: 'identity' } }),
 *     ],
 *   });
 */
import { parseSpaceSpec, type SpaceSpecInput } from './schema.js';
import { declarativeSpace, type DeclarativeSpace, type DeclarativeSpaceOptions } from './space.js';

export * from './schema.js';
export * from './space.js';
export * from './load.js';

/** A block as written in a space spec (before defaults). */
export type BlockInput = Exclude<SpaceSpecInput['stem'], undefined>;
/** A layer as written in a space spec (before defaults). */
export type LayerInput = SpaceSpecInput['layers'][number];

/** A value choice written in place of a block field. */
export interface InlineChoiceInput {
  choice: string;
  values: (number | string)[];
}

/** A value choice in place of a block field (`kernel: choice('k1', [3, 5, 7])`); other fields reuse it as `'$k1'`. */
export function choice<V extends number | string>(label: string, values: readonly V[]): InlineChoiceInput {
  return { choice: label, values: [...values] };
}

/** A layer that is one of the named candidate blocks. */
export function layerChoice(label: string, candidates: Record<string, BlockInput>, o: { id?: string } = {}): LayerInput {
  return { type: 'layer_choice', label, candidates, ...o };
}

/** A layer reducing (sum, concat or mean) n outputs chosen among earlier layers' ids (or 'stem'). */
export function inputChoice(label: string, candidates: readonly string[], o: { n?: number; reduction?: 'sum' | 'concat' | 'mean'; id?: string } = {}): LayerInput {
  return { type: 'input_choice', label, candidates: [...candidates], ...o };
}

/** A block repeated a chosen number of times (its stride on the first copy). */
export function repeat(label: string, depths: readonly number[], block: BlockInput | ReturnType<typeof layerChoice>, o: { id?: string } = {}): LayerInput {
  return { type: 'repeat', label, depths: [...depths], block: block as Extract<LayerInput, { type: 'repeat' }>['block'], ...o };
}

/** A space from a spec object (validated as a space file is; errors name the path). */
export function defineSpace(spec: SpaceSpecInput, o: DeclarativeSpaceOptions = {}): DeclarativeSpace {
  return declarativeSpace(parseSpaceSpec(spec, `space ${spec.name ?? ''}`.trim()), o);
}
