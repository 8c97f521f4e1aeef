/**
 * A declarative space spec (schema.ts) as a `SearchSpace<DeclarativeSample>`. A sample is plain
 * JSON `{label: value}` holding exactly the active decisions: a value choice is active when an
 * active block reads it, a repeat's per-copy layer choices only below its depth. Everything
 * (sampling, checking, mutation, crossover, decoding, the network) goes through one walk of the
 * spec that reads labels as it meets them (`resolve`), so the labels a walk reads are the active
 * ones by construction.
 */
import { TsnasError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import type { BlockPlan } from '../../nn/blocks.js';
import { PlanNetwork, planShapes, type NetPlan, type PlanNode } from '../../nn/plan-net.js';
import type { Decision, EvalNetOverrides, SearchSpace } from '../space.js';
import type { BlockSpec, SpaceSpec } from './schema.js';

/** A sample of a declarative space: active labels to their values. */
export type DeclarativeSample = Record<string, number | string | string[]>;

/** One decision with its values as they appear in samples. */
export interface DeclarativeDecision extends Decision {
  readonly values: readonly (number | string | string[])[];
  readonly kind: 'value' | 'layer' | 'repeat' | 'input';
}

export interface DeclarativeSpaceOptions {
  /** The spec a network is built from, per input size (e.g. a stride schedule fixed by the input); default the spec itself. */
  specFor?: (inputShape: readonly [number, number, number]) => SpaceSpec;
}

/** A SearchSpace over a declarative spec, plus what only declarative spaces offer. */
export interface DeclarativeSpace extends SearchSpace<DeclarativeSample> {
  readonly spec: SpaceSpec;
  decisions(): readonly DeclarativeDecision[];
  /** Whether `x` is a sample of the space (active labels exactly, values among the choices, shapes that fit). */
  contains(x: unknown): boolean;
  /** `x` as a canonical sample, or a TsnasError naming the label at fault. */
  check(x: unknown): DeclarativeSample;
  /** The resolved network plan of a sample. */
  plan(a: DeclarativeSample, o?: EvalNetOverrides): NetPlan;
}

const key = (v: unknown) => JSON.stringify(v);

/** All n-subsets of xs, in order. */
function combinations<T>(xs: readonly T[], n: number): T[][] {
  if (n === 0) return [[]];
  const out: T[][] = [];
  xs.forEach((x, i) => {
    for (const rest of combinations(xs.slice(i + 1), n - 1)) out.push([x, ...rest]);
  });
  return out;
}

/** The decisions of a spec, in walk order of first appearance (value choices where first used). */
export function specDecisions(spec: SpaceSpec): DeclarativeDecision[] {
  const out: DeclarativeDecision[] = [];
  const seen = new Set<string>();
  const add = (label: string, values: readonly (number | string | string[])[], kind: DeclarativeDecision['kind']) => {
    if (seen.has(label)) return;
    seen.add(label);
    out.push({ label, values, choices: values.map((v) => (Array.isArray(v) ? v.join('+') : String(v))), kind });
  };
  const refs = (b: object) => {
    for (const v of Object.values(b)) if (typeof v === 'string' && v.startsWith('$')) add(v.slice(1), spec.choices[v.slice(1)]!, 'value');
  };
  if (spec.stem) refs(spec.stem);
  for (const l of spec.layers) {
    if (l.type === 'layer_choice') {
      add(l.label, Object.keys(l.candidates), 'layer');
      Object.values(l.candidates).forEach(refs);
    } else if (l.type === 'repeat') {
      add(l.label, l.depths, 'repeat');
      const b = l.block;
      if (b.type === 'layer_choice') {
        for (let k = 0; k < Math.max(...l.depths); k++) add(`${b.label}.${k}`, Object.keys(b.candidates), 'layer');
        Object.values(b.candidates).forEach(refs);
      } else refs(b);
    } else if (l.type === 'input_choice') {
      add(l.label, l.n === 1 ? l.candidates : combinations(l.candidates, l.n), 'input');
    } else refs(l);
  }
  if (spec.head) refs(spec.head);
  return out;
}

/**
 * Walk the spec, reading each decision through `get` as the walk meets it: the network plan and
 * the active labels with their values. `get` may throw (a missing label) or draw (sampling).
 */
export function resolveSpec(
  spec: SpaceSpec,
  get: (d: DeclarativeDecision) => number | string | string[],
  byLabel: ReadonlyMap<string, DeclarativeDecision>,
): { plan: NetPlan; active: DeclarativeSample } {
  const active: DeclarativeSample = {};
  const read = (label: string) => {
    if (label in active) return active[label]!;
    const d = byLabel.get(label)!;
    const v = get(d);
    if (!d.values.some((x) => key(x) === key(v))) throw new TsnasError(`label '${label}': ${key(v)} is not one of ${d.values.map(key).join(', ')}`);
    active[label] = v;
    return v;
  };
  const field = (v: unknown) => (typeof v === 'string' && v.startsWith('$') ? read(v.slice(1)) : v) as number & ('max' | 'avg');
  const block = (b: BlockSpec, strided = true): BlockPlan => {
    const stride = strided && 'stride' in b ? field(b.stride) : 1;
    switch (b.type) {
      case 'conv':
        return { kind: 'conv', k: field(b.kernel), stride, cout: field(b.channels) };
      case 'dwsep':
        return { kind: 'dwsep', k: field(b.kernel), stride, cout: field(b.channels) };
      case 'mbconv':
        return { kind: 'mbconv', k: field(b.kernel), stride, cout: field(b.channels), expansion: field(b.expansion) };
      case 'pool':
        return { kind: 'pool', pool: field(b.kind), k: field(b.kernel), stride };
      case 'zero':
        return { kind: 'zero', stride };
      default:
        return { kind: 'identity' };
    }
  };
  const nodes: PlanNode[] = [];
  const ids = new Map<string, number>([['stem', 0]]);
  const stem = spec.stem ? block(spec.stem) : undefined;
  spec.layers.forEach((l, i) => {
    const name = `layers[${i}]`;
    if (l.type === 'layer_choice') nodes.push({ block: block(l.candidates[read(l.label) as string]!), name: `${name} (${l.label})` });
    else if (l.type === 'repeat') {
      const depth = read(l.label) as number;
      const b = l.block;
      for (let k = 0; k < depth; k++) {
        // a repeated block's stride applies to its first copy
        const bs = b.type === 'layer_choice' ? b.candidates[read(`${b.label}.${k}`) as string]! : b;
        nodes.push({ block: block(bs, k === 0), name: `${name} (${l.label} copy ${k})` });
      }
    } else if (l.type === 'input_choice') {
      const v = read(l.label);
      nodes.push({ reduce: l.reduction, inputs: (Array.isArray(v) ? v : [v as string]).map((id) => ids.get(id)!), name: `${name} (${l.label})` });
    } else nodes.push({ block: block(l), name });
    if (l.id) ids.set(l.id, nodes.length);
  });
  const head = spec.head ? field(spec.head.channels) : undefined;
  return { plan: { inputShape: spec.input, numClasses: spec.numClasses, ...(stem ? { stem } : {}), nodes, ...(head !== undefined ? { head } : {}) }, active };
}

/** JSON of a sample with its keys sorted: the canonical text (dedup key, the store). */
export function canonicalSample(a: DeclarativeSample): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(a)
        .sort()
        .map((k) => [k, a[k]]),
    ),
  );
}

/** The SearchSpace of a parsed spec (parseSpaceSpec). */
export function declarativeSpace(spec: SpaceSpec, o: DeclarativeSpaceOptions = {}): DeclarativeSpace {
  const decisions = specDecisions(spec);
  const byLabel = new Map(decisions.map((d) => [d.label, d]));
  const index = new Map(decisions.map((d, i) => [d.label, i]));
  const draw = (rng: Rng) => (d: DeclarativeDecision) => d.values[rng.int(d.values.length)]!;
  const resolve = (get: (d: DeclarativeDecision) => number | string | string[]) => resolveSpec(spec, get, byLabel);

  /**
   * A draw whose network fits together (an input choice may join outputs of different sizes for
   * some decisions): redrawn up to 100 times; then `fallback`, or an error naming the misfit.
   */
  const valid = (attempt: () => { plan: NetPlan; active: DeclarativeSample }, what: string, fallback?: DeclarativeSample): DeclarativeSample => {
    let last: unknown;
    for (let t = 0; t < 100; t++) {
      const r = attempt();
      try {
        planShapes(r.plan);
        return r.active;
      } catch (e) {
        if (!(e instanceof TsnasError)) throw e;
        last = e;
      }
    }
    if (fallback) return fallback;
    throw new TsnasError(`${spec.name}: no ${what} in 100 draws fits together (last: ${(last as Error).message})`);
  };

  const check = (x: unknown): DeclarativeSample => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new TsnasError(`a ${spec.name} architecture is a JSON object {label: value}, got ${key(x)}`);
    const given = x as Record<string, unknown>;
    for (const k of Object.keys(given)) if (!byLabel.has(k)) throw new TsnasError(`unknown label '${k}' (labels of ${spec.name}: ${decisions.map((d) => d.label).join(', ')})`);
    const { plan, active } = resolve((d) => {
      if (!(d.label in given)) throw new TsnasError(`label '${d.label}' is missing (active in this architecture)`);
      return given[d.label] as number | string | string[];
    });
    for (const k of Object.keys(given)) if (!(k in active)) throw new TsnasError(`label '${k}' is inactive in this architecture (leave it out)`);
    planShapes(plan);
    return active;
  };

  const space: DeclarativeSpace = {
    spec,
    name: spec.name,
    description: spec.description ?? `declarative space ${spec.name} (${decisions.length} decisions)`,
    parse(text) {
      let x: unknown;
      try {
        x = JSON.parse(text);
      } catch {
        throw new TsnasError(`a ${spec.name} architecture is JSON {label: value}; cannot parse ${key(text.slice(0, 60))}`);
      }
      return check(x);
    },
    format: canonicalSample,
    check,
    contains(x) {
      try {
        check(x);
        return true;
      } catch (e) {
        if (e instanceof TsnasError) return false;
        throw e;
      }
    },
    sample: (rng) => valid(() => resolve(draw(rng)), 'sample'),
    mutate(a, rng) {
      const labels = Object.keys(a).filter((l) => byLabel.get(l)!.values.length > 1);
      if (labels.length === 0) return a;
      return valid(
        () => {
          const label = labels[rng.int(labels.length)]!;
          const d = byLabel.get(label)!;
          const others = d.values.filter((v) => key(v) !== key(a[label]));
          const next = others[rng.int(others.length)]!;
          // labels the change activates are drawn afresh
          return resolve((e) => (e.label === label ? next : e.label in a ? a[e.label]! : draw(rng)(e)));
        },
        'mutation',
        a,
      );
    },
    crossover(a, b, rng) {
      const child = () =>
        resolve((d) => {
          const [p, q] = rng.next() < 0.5 ? [a, b] : [b, a];
          return d.label in p ? p[d.label]! : d.label in q ? q[d.label]! : draw(rng)(d);
        });
      return valid(child, 'crossover', rng.next() < 0.5 ? a : b);
    },
    decisions: () => decisions,
    encode: (a) => decisions.map((d) => (d.label in a ? d.values.findIndex((v) => key(v) === key(a[d.label])) : 0)),
    decode(codes) {
      if (codes.length !== decisions.length) throw new TsnasError(`${spec.name} code has ${codes.length} decisions, expected ${decisions.length}`);
      codes.forEach((c, i) => {
        const d = decisions[i]!;
        if (!Number.isInteger(c) || c < 0 || c >= d.values.length) throw new TsnasError(`${spec.name} decision ${d.label}: index ${c} out of range [0, ${d.values.length})`);
      });
      const r = resolve((d) => d.values[codes[index.get(d.label)!]!]!);
      planShapes(r.plan);
      return r.active;
    },
    plan(a, ov = {}) {
      const inputShape = ov.inputShape ?? spec.input;
      const s = o.specFor ? o.specFor(inputShape) : spec;
      const { plan } = resolve((d) => {
        if (!(d.label in a)) throw new TsnasError(`label '${d.label}' is missing`);
        return a[d.label]!;
      });
      const p = s === spec ? plan : resolveSpec(s, (d) => a[d.label]!, byLabel).plan;
      return { ...p, inputShape, numClasses: ov.numClasses ?? spec.numClasses };
    },
    buildNetwork(a, rng, ov = {}) {
      return new PlanNetwork(space.plan(a, ov), rng);
    },
    netOptions: [],
    // MobileNet-style SGD: a smaller weight decay than the cell spaces' (depthwise filters have few weights)
    trainRecipe: { lr: 0.05, nesterov: true, momentum: 0.9, weightDecay: 4e-5, batch: 128, gradClip: 5, cutout: 0, dropPath: 0, auxWeight: 0, ...spec.train },
  };
  return space;
}
