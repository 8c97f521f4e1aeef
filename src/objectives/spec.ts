/**
 * The `--objectives` syntax: a comma-separated list of terms
 *
 *   term       := name [ ':' arg ]* [ '@' ('min'|'max') ] [ ('<='|'>='|'<'|'>') number ]
 *
 *   accuracy                   NB201 table accuracy (cifar10_test_acc), maximise
 *   accuracy:cifar100_test     another table accuracy column (full name or alias)
 *   accuracy:supernet          accuracy of the one-hot subnet in a trained supernet (TND-NAS)
 *   accuracy:trained           validation accuracy after a short training of each architecture (--preset; trained.ts)
 *   params, flops              eval-network parameters (millions) / FLOPs per image (millions), minimise
 *   latency:pixel3             NB201 table latency, any of its 27 columns by name or alias (ms)
 *   latency:measured           latency measured on the session's TF.js backend (ms)
 *   latency:measured:wasm      ... on a named backend (wasm, native, cpu, webgpu), which the session then runs on
 *   latency:native, latency:wasm   measured on that backend, switched to for the measurement only (ms)
 *   latency:browser            measured in headless Chromium on TF.js's wasm backend (ms; src/deploy/)
 *   size                       download size of the exported TF.js model, model.json + weights (bytes)
 *   das, das:kernel=layer,lambda=1, naswot   training-free score used as an accuracy surrogate
 *
 * `@min` / `@max` overrides the direction. A trailing comparison is a constraint
 * (`latency:pixel3<=10`, `accuracy>=90`): constrained search keeps feasible architectures first.
 * A bound may carry a unit, converted to the objective's own unit: size B, KB, MB, GB (powers
 * of 1000), KiB, MiB (of 1024); latency us, ms, s; params and flops K, M, G (values are in
 * millions); accuracy %. `--constraints` takes the same terms (parseConstraints): constraints on
 * objectives or on quantities that are only constrained (`size<=2MB` beside `accuracy,latency:wasm`).
 * Parsing here is pure syntax; building the evaluators (objectives.ts) checks columns and sources.
 */
import { TsnasError } from '../util/errors.js';
import type { Direction } from './pareto.js';
import { continuesDasRule } from '../proxies/naswot.js';
import { userObjective, userObjectiveNames } from './registry.js';

export type ObjectiveKind = 'accuracy' | 'params' | 'flops' | 'latency' | 'size' | 'das' | 'naswot' | 'user';

export interface Constraint {
  op: '<=' | '>=' | '<' | '>';
  value: number;
}

export interface ObjectiveSpec {
  /** The term as written (trimmed), e.g. `latency:pixel3<=10`. */
  raw: string;
  /** The key the objective's value is reported under, e.g. `latency:pixel3`. */
  key: string;
  kind: ObjectiveKind;
  /**
   * accuracy: `table` (column), `supernet`, `trained`; latency: `table` (column), `measured` (on the
   * session's backend), `backend` (on the named backend, switched to) or `browser`.
   */
  source?: 'table' | 'supernet' | 'trained' | 'measured' | 'backend' | 'browser' | 'proxy' | 'user';
  /** Table column (accuracy/latency table sources), backend (measured latency) or DAS rule. */
  arg?: string;
  direction: Direction;
  constraint?: Constraint;
}

/** The built-in objective names (registerObjective adds the user's). */
export const OBJECTIVE_KINDS: readonly Exclude<ObjectiveKind, 'user'>[] = ['accuracy', 'params', 'flops', 'latency', 'size', 'das', 'naswot'];
const DEFAULT_DIRECTION: Record<Exclude<ObjectiveKind, 'user'>, Direction> = {
  accuracy: 'max',
  params: 'min',
  flops: 'min',
  latency: 'min',
  size: 'min',
  das: 'max',
  naswot: 'max',
};
const MEASURE_BACKENDS = ['native', 'wasm', 'cpu', 'webgpu', 'auto'];
/** `latency:B` measured on backend B (switched to for the measurement). */
const SWITCH_BACKENDS = ['native', 'wasm'];

/** Units a constraint bound may carry, per objective kind, as factors to the objective's unit. */
const UNITS: Partial<Record<ObjectiveKind, Record<string, number>>> = {
  size: { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 },
  latency: { us: 1e-3, ms: 1, s: 1000 },
  params: { K: 1e-3, M: 1, G: 1e3 },
  flops: { K: 1e-3, M: 1, G: 1e3 },
  accuracy: { '%': 1 },
};

/** A constraint bound (`2MB`, `20ms`, `1M`, `90`) in the objective's unit. */
function parseBound(kind: ObjectiveKind, text: string, where: string): number {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*([A-Za-z%]*)$/.exec(text);
  if (!m) throw new TsnasError(`${where}: constraint bound '${text}' is not a number (with an optional unit, e.g. 2MB, 20ms, 1M)`);
  const v = Number(m[1]);
  const unit = m[2]!;
  if (unit === '') return v;
  const units = UNITS[kind] ?? {};
  const f = units[unit];
  if (f === undefined) {
    const known = Object.keys(units);
    throw new TsnasError(`${where}: unknown unit '${unit}'${known.length ? ` (${kind} takes ${known.join(', ')})` : ` (${kind} bounds take no unit)`}`);
  }
  return v * f;
}

export const OBJECTIVES_HELP =
  'comma-separated objectives: accuracy[:COLUMN|:supernet|:trained], params, flops, size (exported TF.js model, bytes), latency:DEVICE (NB201 table column, e.g. pixel3), ' +
  'latency:native|wasm|browser (measured), latency:measured[:BACKEND], das[:rule], naswot, or a registered user objective; optional @min/@max and a constraint such as latency:pixel3<=10';

export const CONSTRAINTS_HELP =
  "comma-separated constraints on objectives or other quantities, with units: e.g. 'size<=2MB,latency:wasm<=20ms,params<=1M' (infeasible architectures are constraint-dominated)";

/** Split on commas, keeping DAS rule options (`das:kernel=layer,lambda=1`) with their term. */
function splitTerms(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(',').map((s) => s.trim())) {
    if (part === '') throw new TsnasError(`--objectives '${text}': empty term (check the commas)`);
    const prev = out[out.length - 1];
    if (continuesDasRule(prev, part)) out[out.length - 1] = `${prev},${part}`;
    else out.push(part);
  }
  return out;
}

export function parseObjectiveTerm(term: string): ObjectiveSpec {
  const raw = term.trim();
  const where = `objective '${raw}'`;
  let body = raw;
  let bound: { op: Constraint['op']; text: string } | undefined;
  const cm = /(<=|>=|<|>)\s*([^<>=]*)$/.exec(body);
  if (cm) {
    bound = { op: cm[1] as Constraint['op'], text: cm[2]!.trim() };
    if (bound.text === '') throw new TsnasError(`${where}: constraint bound '' is not a number`);
    body = body.slice(0, cm.index).trim();
  }
  let direction: Direction | undefined;
  const dm = /@([a-z]*)$/.exec(body);
  if (dm) {
    if (dm[1] !== 'min' && dm[1] !== 'max') throw new TsnasError(`${where}: direction must be @min or @max, got '@${dm[1]}'`);
    direction = dm[1];
    body = body.slice(0, dm.index).trim();
  }
  if (body === '') throw new TsnasError(`${where}: no objective name`);
  const parts = body.split(':').map((s) => s.trim());
  const name = parts[0]!;
  const user = userObjective(name);
  const constrain = (kind: ObjectiveKind): Constraint | undefined => bound && { op: bound.op, value: parseBound(kind, bound.text, where) };
  if (user) {
    if (parts.length > 1) throw new TsnasError(`${where}: ${name} takes no argument`);
    const constraint = constrain('user');
    return { raw, key: name, kind: 'user', source: 'user', arg: name, direction: direction ?? user.direction, ...(constraint ? { constraint } : {}) };
  }
  if (!(OBJECTIVE_KINDS as readonly string[]).includes(name)) {
    throw new TsnasError(`unknown objective '${name}' in '${raw}' (known: ${[...OBJECTIVE_KINDS, ...userObjectiveNames()].join(', ')})`);
  }
  const constraint = constrain(name as ObjectiveKind);
  const kind = name as Exclude<ObjectiveKind, 'user'>;
  const args = parts.slice(1);
  if (args.some((a) => a === '')) throw new TsnasError(`${where}: empty argument after ':'`);
  const spec: ObjectiveSpec = { raw, key: body, kind, direction: direction ?? DEFAULT_DIRECTION[kind], ...(constraint ? { constraint } : {}) };
  switch (kind) {
    case 'params':
    case 'flops':
    case 'size':
    case 'naswot':
      if (args.length) throw new TsnasError(`${where}: ${kind} takes no argument`);
      if (kind === 'naswot') spec.source = 'proxy';
      break;
    case 'das':
      spec.source = 'proxy';
      spec.arg = body; // the whole DAS rule, validated by the proxies' parser when built
      break;
    case 'accuracy': {
      if (args.length > 1) throw new TsnasError(`${where}: accuracy takes at most one argument (a table column, supernet or trained)`);
      const a = args[0];
      if (a === 'supernet' || a === 'trained') spec.source = a;
      else {
        spec.source = 'table';
        spec.arg = a ?? 'cifar10_test_acc';
      }
      spec.key = a === undefined ? 'accuracy' : body;
      break;
    }
    case 'latency': {
      if (args.length === 0) {
        throw new TsnasError(`${where}: latency needs a device: latency:pixel3 (an NB201 table column), latency:native, latency:wasm, latency:browser or latency:measured[:BACKEND]`);
      }
      if (args[0] === 'measured') {
        if (args.length > 2) throw new TsnasError(`${where}: use latency:measured or latency:measured:BACKEND`);
        const b = args[1] ?? 'auto';
        if (!MEASURE_BACKENDS.includes(b)) throw new TsnasError(`${where}: unknown backend '${b}' (known: ${MEASURE_BACKENDS.join(', ')})`);
        spec.source = 'measured';
        spec.arg = b;
      } else if (SWITCH_BACKENDS.includes(args[0]!) || args[0] === 'browser') {
        if (args.length > 1) throw new TsnasError(`${where}: latency:${args[0]} takes no further argument`);
        spec.source = args[0] === 'browser' ? 'browser' : 'backend';
        spec.arg = args[0]!;
      } else {
        if (args.length > 1) throw new TsnasError(`${where}: latency:DEVICE takes one device column`);
        spec.source = 'table';
        spec.arg = args[0]!;
      }
      break;
    }
  }
  return spec;
}

/** Parse the `--objectives` list; duplicates (same key) and an empty list are errors. */
export function parseObjectives(text: string): ObjectiveSpec[] {
  if (text.trim() === '') throw new TsnasError('--objectives is empty');
  const specs = splitTerms(text).map(parseObjectiveTerm);
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.key)) throw new TsnasError(`--objectives names '${s.key}' twice`);
    seen.add(s.key);
  }
  const measured = new Set(specs.filter((s) => s.source === 'measured').map((s) => s.arg));
  if (measured.size > 1) throw new TsnasError(`--objectives: latency measured on ${[...measured].join(' and ')}; tsnas runs one backend per session`);
  return specs;
}

/**
 * Parse `--constraints`: terms like `size<=2MB` (the objective syntax, each with a bound). The
 * keys must be distinct; a term without a bound is an error.
 */
export function parseConstraints(text: string): ObjectiveSpec[] {
  if (text.trim() === '') throw new TsnasError('--constraints is empty');
  const specs = splitTerms(text).map(parseObjectiveTerm);
  const seen = new Set<string>();
  for (const s of specs) {
    if (!s.constraint) throw new TsnasError(`constraint '${s.raw}' has no bound (e.g. size<=2MB, latency:wasm<=20ms, params<=1M)`);
    if (seen.has(s.key)) throw new TsnasError(`--constraints names '${s.key}' twice`);
    seen.add(s.key);
  }
  return specs;
}

/**
 * Put `--constraints` on the objectives: a constraint on an objective's key becomes that
 * objective's constraint (one bound per objective); the others are returned as `extra`, quantities
 * that are evaluated for feasibility only (not optimised).
 */
export function applyConstraints(objectives: readonly ObjectiveSpec[], constraints: readonly ObjectiveSpec[]): { objectives: ObjectiveSpec[]; extra: ObjectiveSpec[] } {
  const out = objectives.map((o) => ({ ...o }));
  const extra: ObjectiveSpec[] = [];
  for (const c of constraints) {
    const o = out.find((x) => x.key === c.key);
    if (!o) extra.push(c);
    else if (o.constraint) throw new TsnasError(`'${c.key}' is constrained twice ('${o.raw}' and --constraints '${c.raw}')`);
    else o.constraint = c.constraint;
  }
  return { objectives: out, extra };
}

/** Constraint violation: 0 when satisfied (or unconstrained), else how far the value is off. */
export function violation(spec: ObjectiveSpec, v: number): number {
  const c = spec.constraint;
  if (!c) return 0;
  if (Number.isNaN(v)) return Infinity;
  switch (c.op) {
    case '<=':
      return v <= c.value ? 0 : v - c.value;
    case '<':
      return v < c.value ? 0 : v - c.value + Number.EPSILON;
    case '>=':
      return v >= c.value ? 0 : c.value - v;
    case '>':
      return v > c.value ? 0 : c.value - v + Number.EPSILON;
  }
}
