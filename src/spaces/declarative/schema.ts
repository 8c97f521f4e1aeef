/**
 * The space file format (YAML or JSON, or the same object exported by a TypeScript module): a
 * zod schema and the checks a schema cannot express (labels unique, references resolvable,
 * input choices acyclic). `parseSpaceSpec` returns the spec or throws one TsnasError naming the
 * path inside the file (`layers[2].kernel: expected one of 3, 5, 7`). docs/space-format.md
 * documents every field.
 */
import { z } from 'zod';
import { TsnasError } from '../../util/errors.js';

/** A value choice written in place: `{ choice: k1, values: [3, 5, 7] }` (reused elsewhere as `$k1`). */
export const inlineChoiceSchema = z.strictObject({
  choice: z.string().regex(/^[A-Za-z_][\w.-]*$/, 'a label is a word (letters, digits, _ . -)'),
  values: z.array(z.union([z.number(), z.string()])),
});

/** A reference to a value choice: `$label`. */
const refSchema = z.string().regex(/^\$[A-Za-z_][\w.-]*$/, 'expected a number or a $label reference to a choice');

/** A block field that is fixed or decided: a number, `$label`, or an inline choice. */
function decided<T extends z.ZodType>(fixed: T) {
  return z.union([fixed, refSchema, inlineChoiceSchema]);
}

/** What each decided field accepts (a choice's every value is checked against it). */
const FIELDS = {
  kernel: z
    .number()
    .int()
    .positive()
    .refine((k) => k % 2 === 1, 'kernel size must be odd'),
  stride: z.number().int().min(1).max(8),
  channels: z.number().int().min(1).max(100000),
  expansion: z.number().int().min(1).max(64),
  kind: z.enum(['max', 'avg']),
} as const;

const kernel = decided(FIELDS.kernel);
const stride = decided(FIELDS.stride);
const channels = decided(FIELDS.channels);

const convBlock = z.strictObject({ type: z.literal('conv'), kernel, stride: stride.default(1), channels });
const dwsepBlock = z.strictObject({ type: z.literal('dwsep'), kernel, stride: stride.default(1), channels });
const mbconvBlock = z.strictObject({
  type: z.literal('mbconv'),
  kernel,
  stride: stride.default(1),
  channels,
  expansion: decided(FIELDS.expansion),
  se: z.literal(false, 'squeeze-and-excitation is not implemented: se must be false').default(false),
});
const poolBlock = z.strictObject({
  type: z.literal('pool'),
  kind: decided(FIELDS.kind),
  kernel: kernel.default(3),
  stride: stride.default(1),
});
const identityBlock = z.strictObject({ type: z.enum(['identity', 'skip']) });
const zeroBlock = z.strictObject({ type: z.literal('zero'), stride: stride.default(1) });

/** The block vocabulary. */
export const BLOCK_TYPES = ['conv', 'dwsep', 'mbconv', 'pool', 'identity', 'skip', 'zero'] as const;
export const blockSchema = z.discriminatedUnion('type', [convBlock, dwsepBlock, mbconvBlock, poolBlock, identityBlock, zeroBlock]);

const labelSchema = z.string().regex(/^[A-Za-z_][\w.-]*$/, 'a label is a word (letters, digits, _ . -)');
const idSchema = labelSchema.optional();

const layerChoiceSchema = z.strictObject({
  type: z.literal('layer_choice'),
  label: labelSchema,
  id: idSchema,
  candidates: z.record(z.string().regex(/^[A-Za-z_][\w-]*$/, 'a candidate name is a word'), blockSchema),
});

const repeatSchema = z.strictObject({
  type: z.literal('repeat'),
  label: labelSchema,
  id: idSchema,
  depths: z.array(z.number().int().min(0).max(1000)),
  block: z.discriminatedUnion('type', [convBlock, dwsepBlock, mbconvBlock, poolBlock, identityBlock, zeroBlock, layerChoiceSchema]),
});

const inputChoiceSchema = z.strictObject({
  type: z.literal('input_choice'),
  label: labelSchema,
  id: idSchema,
  candidates: z.array(z.string()),
  n: z.number().int().min(1).default(1),
  reduction: z.enum(['sum', 'concat', 'mean']).default('sum'),
});

/** A layer: a fixed block (with an optional id), a layer choice, a repeat, or an input choice. */
export const layerSchema = z.discriminatedUnion('type', [
  convBlock.extend({ id: idSchema }),
  dwsepBlock.extend({ id: idSchema }),
  mbconvBlock.extend({ id: idSchema }),
  poolBlock.extend({ id: idSchema }),
  identityBlock.extend({ id: idSchema }),
  zeroBlock.extend({ id: idSchema }),
  layerChoiceSchema,
  repeatSchema,
  inputChoiceSchema,
]);

export const spaceSpecSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]*$/i, 'a space name is a word (letters, digits, _ or -)'),
  description: z.string().optional(),
  /** Input [height, width, channels] of the evaluation network. */
  input: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]).default([32, 32, 3]),
  numClasses: z.number().int().min(2).default(10),
  /** Value choices by label, referenced from block fields as `$label`. */
  choices: z.record(labelSchema, z.array(z.union([z.number(), z.string()]))).default({}),
  stem: blockSchema.optional(),
  layers: z.array(layerSchema).min(1, 'a space needs at least one layer'),
  /** A 1×1 conv-BN-ReLU before global average pooling (then a linear classifier). */
  head: z.strictObject({ channels: channels }).optional(),
  /** Training-recipe defaults for this space's networks (tsnas train). */
  train: z.strictObject({ lr: z.number().positive().optional(), weightDecay: z.number().min(0).optional(), batch: z.number().int().min(1).optional() }).optional(),
});

export type BlockSpec = z.output<typeof blockSchema>;
export type LayerSpec = z.output<typeof layerSchema>;
export type SpaceSpec = z.output<typeof spaceSpecSchema>;
/** What a space file holds before defaults are filled in. */
export type SpaceSpecInput = z.input<typeof spaceSpecSchema>;
export type InlineChoice = z.output<typeof inlineChoiceSchema>;

/** `layers[2].kernel` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(top level)';
}

function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** One line for the first zod issue, naming the path and, for an unknown block, the type given. */
function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = formatPath(issue.path);
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    const typePath = issue.path[issue.path.length - 1] === 'type' ? issue.path : [...issue.path, 'type'];
    const t = at(input, typePath);
    const block = formatPath(typePath.slice(0, -1));
    if (t === undefined) return `${block}: missing 'type' (one of ${BLOCK_TYPES.join(', ')}, layer_choice, repeat, input_choice)`;
    return `${block}: unknown block '${String(t)}' (known: ${BLOCK_TYPES.join(', ')}; layers may also be layer_choice, repeat, input_choice)`;
  }
  if (issue.code === 'invalid_union') {
    // a decided field: report the member that got furthest (an inline choice with an error, else the fixed value)
    const sub = issue.errors.map((e) => e[0]).filter((e): e is z.core.$ZodIssue => e !== undefined);
    const deepest = sub.sort((a, b) => b.path.length - a.path.length)[0];
    if (deepest && deepest.path.length > 0) return describeIssue({ ...deepest, path: [...issue.path, ...deepest.path] } as z.core.$ZodIssue, input);
    const fixed = sub.find((e) => e.code !== 'invalid_type' || typeof at(input, issue.path) !== 'string');
    if (fixed && typeof at(input, issue.path) === 'number') return `${where}: ${fixed.message}`;
    return `${where}: expected a number, a $label reference or { choice, values }, got ${JSON.stringify(at(input, issue.path))}`;
  }
  if (issue.code === 'unrecognized_keys') return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  return `${where}: ${issue.message}`;
}

/** Where a layer lives, for messages: `layers[3] (label d2)`. */
function layerWhere(i: number, l: LayerSpec): string {
  return `layers[${i}]${'label' in l ? ` (${l.label})` : l.id ? ` (${l.id})` : ''}`;
}

/**
 * A space spec from a parsed file (or a module's object): the schema, then the semantic checks:
 * every label once (value choices, layer choices, repeats, input choices; inline choices count),
 * no empty choice, every `$label` defined, ids unique, input choices reading only earlier outputs.
 * Inline choices are moved into `choices` and replaced by `$label` references.
 */
export function parseSpaceSpec(raw: unknown, source = 'space'): SpaceSpec {
  const parsed = spaceSpecSchema.safeParse(raw);
  if (!parsed.success) throw new TsnasError(`${source}: ${describeIssue(parsed.error.issues[0]!, raw)}`);
  const spec = structuredClone(parsed.data);
  const fail = (msg: string): never => {
    throw new TsnasError(`${source}: ${msg}`);
  };
  const labels = new Map<string, string>();
  const claim = (label: string, where: string) => {
    const prev = labels.get(label);
    if (prev) fail(`${where}: duplicated label '${label}' (also ${prev})`);
    labels.set(label, where);
  };
  for (const [label, values] of Object.entries(spec.choices)) {
    claim(label, `choices.${label}`);
    if (values.length === 0) fail(`choices.${label}: empty choice`);
    if (new Set(values.map((v) => JSON.stringify(v))).size !== values.length) fail(`choices.${label}: repeated value`);
  }
  // inline choices become named choices; the field keeps a $label reference
  const hoist = (block: Record<string, unknown>, where: string) => {
    for (const [k, v] of Object.entries(block)) {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || !('choice' in v)) continue;
      const c = v as InlineChoice;
      claim(c.choice, `${where}.${k}`);
      if (c.values.length === 0) fail(`${where}.${k}: empty choice '${c.choice}'`);
      spec.choices[c.choice] = c.values;
      block[k] = `$${c.choice}`;
    }
  };
  const blocksOf = (l: LayerSpec, where: string): [Record<string, unknown>, string][] => {
    if (l.type === 'layer_choice') return Object.entries(l.candidates).map(([name, b]) => [b as Record<string, unknown>, `${where}.candidates.${name}`]);
    if (l.type === 'repeat') return l.block.type === 'layer_choice' ? blocksOf(l.block as LayerSpec, `${where}.block`) : [[l.block as Record<string, unknown>, `${where}.block`]];
    if (l.type === 'input_choice') return [];
    return [[l as Record<string, unknown>, where]];
  };
  if (spec.stem) hoist(spec.stem as Record<string, unknown>, 'stem');
  if (spec.head) hoist(spec.head as Record<string, unknown>, 'head');
  const ids = new Map<string, number>([['stem', -1]]);
  spec.layers.forEach((l, i) => {
    const where = `layers[${i}]`;
    if (l.type === 'layer_choice' || l.type === 'repeat' || l.type === 'input_choice') claim(l.label, where);
    if (l.type === 'layer_choice' && Object.keys(l.candidates).length === 0) fail(`${where}: empty choice '${l.label}' (no candidates)`);
    if (l.type === 'repeat') {
      if (l.depths.length === 0) fail(`${where}: empty choice '${l.label}' (no depths)`);
      if (new Set(l.depths).size !== l.depths.length) fail(`${where}.depths: repeated depth`);
      if (l.block.type === 'layer_choice') {
        if (Object.keys(l.block.candidates).length === 0) fail(`${where}.block: empty choice '${l.block.label}' (no candidates)`);
        for (let k = 0; k < Math.max(...l.depths); k++) claim(`${l.block.label}.${k}`, `${where}.block`);
      }
    }
    if (l.type === 'input_choice') {
      if (l.candidates.length === 0) fail(`${where}: empty choice '${l.label}' (no candidates)`);
      if (l.n > l.candidates.length) fail(`${where}.n: ${l.n} inputs from ${l.candidates.length} candidates`);
      if (new Set(l.candidates).size !== l.candidates.length) fail(`${where}.candidates: repeated candidate`);
      for (const c of l.candidates) {
        const j = ids.get(c);
        if (j !== undefined) continue;
        const later = spec.layers.findIndex((m, k) => k >= i && m.id === c);
        if (later >= 0) fail(`${where}: cyclic input choice '${l.label}': candidate '${c}' is ${later === i ? 'the choice itself' : `a later output (${layerWhere(later, spec.layers[later]!)})`}`);
        fail(`${where}: input choice '${l.label}': unknown candidate '${c}' (earlier outputs: ${[...ids.keys()].join(', ')})`);
      }
    }
    for (const [b, w] of blocksOf(l, where)) hoist(b, w);
    if (l.id) {
      if (ids.has(l.id)) fail(`${where}: duplicated id '${l.id}'`);
      ids.set(l.id, i);
    }
  });
  // every reference names a choice; every choice is used
  const used = new Set<string>();
  const checkRefs = (b: Record<string, unknown>, where: string) => {
    for (const [k, v] of Object.entries(b)) {
      if (typeof v !== 'string' || !v.startsWith('$')) continue;
      const label = v.slice(1);
      if (!(label in spec.choices)) fail(`${where}.${k}: '${v}' names no choice (choices: ${Object.keys(spec.choices).join(', ') || 'none'})`);
      used.add(label);
      const field = FIELDS[k as keyof typeof FIELDS];
      for (const value of spec.choices[label]!) {
        const r = field?.safeParse(value);
        if (r && !r.success) fail(`choices.${label}: value ${JSON.stringify(value)} does not fit ${where}.${k} (${r.error.issues[0]!.message})`);
      }
    }
  };
  if (spec.stem) checkRefs(spec.stem as Record<string, unknown>, 'stem');
  if (spec.head) checkRefs(spec.head as Record<string, unknown>, 'head');
  spec.layers.forEach((l, i) => blocksOf(l, `layers[${i}]`).forEach(([b, w]) => checkRefs(b, w)));
  for (const label of Object.keys(spec.choices)) if (!used.has(label)) fail(`choices.${label}: no block uses choice '${label}'`);
  return spec;
}
