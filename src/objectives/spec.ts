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
 *   latency:measured:wasm      ... on a named backend (wasm, native, cpu, webgpu)
 *   das, das:kernel=layer,lambda=1, naswot   training-free score used as an accuracy surrogate
 *
 * `@min` / `@max` overrides the direction. A trailing comparison is a constraint
 * (`latency:pixel3<=10`, `accuracy>=90`): constrained search keeps feasible architectures first.
 * Parsing here is pure syntax; building the evaluators (objectives.ts) checks columns and sources.
 */
import { TsnasError } from '../util/errors.js';
import type { Direction } from './pareto.js';
import { continuesDasRule } from '../proxies/naswot.js';
import { userObjective, userObjectiveNames } from './registry.js';

export type ObjectiveKind = 'accuracy' | 'params' | 'flops' | 'latency' | 'das' | 'naswot' | 'user';

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
  /** accuracy: `table` (column), `supernet`, `trained`; latency: `table` (column) or `measured`. */
  source?: 'table' | 'supernet' | 'trained' | 'measured' | 'proxy' | 'user';
  /** Table column (accuracy/latency table sources), backend (measured latency) or DAS rule. */
  arg?: string;
  direction: Direction;
  constraint?: Constraint;
}

/** The built-in objective names (registerObjective adds the user's). */
export const OBJECTIVE_KINDS: readonly Exclude<ObjectiveKind, 'user'>[] = ['accuracy', 'params', 'flops', 'latency', 'das', 'naswot'];
const DEFAULT_DIRECTION: Record<Exclude<ObjectiveKind, 'user'>, Direction> = {
  accuracy: 'max',
  params: 'min',
  flops: 'min',
  latency: 'min',
  das: 'max',
  naswot: 'max',
};
const MEASURE_BACKENDS = ['native', 'wasm', 'cpu', 'webgpu', 'auto'];

export const OBJECTIVES_HELP =
  'comma-separated objectives: accuracy[:COLUMN|:supernet|:trained], params, flops, latency:DEVICE (NB201 table column, e.g. pixel3), ' +
  'latency:measured[:BACKEND], das[:rule], naswot, or a registered user objective; optional @min/@max and a constraint such as latency:pixel3<=10';

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
  let constraint: Constraint | undefined;
  const cm = /(<=|>=|<|>)\s*([^<>=]*)$/.exec(body);
  if (cm) {
    const v = Number(cm[2]!.trim());
    if (cm[2]!.trim() === '' || !Number.isFinite(v)) throw new TsnasError(`${where}: constraint bound '${cm[2]!.trim()}' is not a number`);
    constraint = { op: cm[1] as Constraint['op'], value: v };
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
  if (user) {
    if (parts.length > 1) throw new TsnasError(`${where}: ${name} takes no argument`);
    return { raw, key: name, kind: 'user', source: 'user', arg: name, direction: direction ?? user.direction, ...(constraint ? { constraint } : {}) };
  }
  if (!(OBJECTIVE_KINDS as readonly string[]).includes(name)) {
    throw new TsnasError(`unknown objective '${name}' in '${raw}' (known: ${[...OBJECTIVE_KINDS, ...userObjectiveNames()].join(', ')})`);
  }
  const kind = name as Exclude<ObjectiveKind, 'user'>;
  const args = parts.slice(1);
  if (args.some((a) => a === '')) throw new TsnasError(`${where}: empty argument after ':'`);
  const spec: ObjectiveSpec = { raw, key: body, kind, direction: direction ?? DEFAULT_DIRECTION[kind], ...(constraint ? { constraint } : {}) };
  switch (kind) {
    case 'params':
    case 'flops':
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
        throw new TsnasError(`${where}: latency needs a device: latency:pixel3 (an NB201 table column) or latency:measured[:BACKEND]`);
      }
      if (args[0] === 'measured') {
        if (args.length > 2) throw new TsnasError(`${where}: use latency:measured or latency:measured:BACKEND`);
        const b = args[1] ?? 'auto';
        if (!MEASURE_BACKENDS.includes(b)) throw new TsnasError(`${where}: unknown backend '${b}' (known: ${MEASURE_BACKENDS.join(', ')})`);
        spec.source = 'measured';
        spec.arg = b;
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
