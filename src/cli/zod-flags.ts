/**
 * Command-line flags from a zod options schema: `fooBar` becomes `--foo-bar <value>` with the
 * schema's description, default, range (integers and numbers are checked as they are parsed,
 * with the same one-line errors as every other flag) and choices; a boolean that defaults to
 * true becomes `--no-foo-bar`. The schema stays the one source of truth: the parsed flags are
 * validated by it again before a strategy sees them.
 */
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { TsnasError } from '../util/errors.js';
import { intArg, numArg } from '../util/flag-parsers.js';

interface JsonProp {
  type?: string;
  enum?: unknown[];
  anyOf?: JsonProp[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}

/** `fooBar` → `foo-bar`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function rangeOf(p: JsonProp): [number, number] {
  const max = p.maximum !== undefined && p.maximum < Number.MAX_SAFE_INTEGER ? p.maximum : Infinity;
  const min = p.minimum ?? (p.exclusiveMinimum !== undefined ? p.exclusiveMinimum : -Infinity);
  return [min > Number.MIN_SAFE_INTEGER ? min : -Infinity, max];
}

function optionFor(key: string, p: JsonProp): Option {
  const flag = kebab(key);
  const desc = p.description ?? key;
  if (p.type === 'boolean') {
    return p.default === true ? new Option(`--no-${flag}`, desc) : new Option(`--${flag}`, desc);
  }
  const meta = p.enum ? 'name' : p.type === 'integer' ? 'n' : p.type === 'number' ? 'x' : 'value';
  const opt = new Option(`--${flag} <${meta}>`, desc);
  if (p.default !== undefined) opt.default(p.default);
  if (p.enum) return opt.choices(p.enum.map(String));
  if (p.type === 'integer') {
    const [min, max] = rangeOf(p);
    return opt.argParser(intArg(flag, min, max));
  }
  if (p.type === 'number') {
    const [min, max] = rangeOf(p);
    const parse = numArg(flag, min, max);
    return opt.argParser(
      p.exclusiveMinimum !== undefined
        ? (v: string) => {
            const x = parse(v);
            if (x <= p.exclusiveMinimum!) throw new TsnasError(`--${flag} must be a number in (${p.exclusiveMinimum}, ${max}], got '${v}'`);
            return x;
          }
        : parse,
    );
  }
  if (p.anyOf) {
    // e.g. 'auto' | integer
    const words = p.anyOf.filter((a) => a.const !== undefined).map((a) => String(a.const));
    const int = p.anyOf.find((a) => a.type === 'integer');
    return opt.argParser((v: string) => {
      if (words.includes(v)) return v;
      if (int) {
        const [min, max] = rangeOf(int);
        const n = Number(v);
        if (Number.isInteger(n) && n >= min && n <= max) return n;
      }
      throw new TsnasError(`--${flag} must be ${[...words.map((w) => `'${w}'`), ...(int ? [`an integer in [${rangeOf(int).join(', ')}]`] : [])].join(' or ')}, got '${v}'`);
    });
  }
  return opt;
}

/**
 * Add a flag for every key of `schema` that `cmd` does not have yet (flags added before, such as
 * the common ones, keep their own definitions). Returns the keys of the schema.
 */
export function addSchemaFlags(cmd: Command, schema: z.ZodObject): string[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonProp> };
  const props = json.properties ?? {};
  for (const [key, p] of Object.entries(props)) {
    if (cmd.options.some((o) => o.attributeName() === key)) continue;
    cmd.addOption(optionFor(key, p));
  }
  return Object.keys(props);
}

/** The values of the schema's keys among a command's parsed flags (unset ones left out). */
export function pickSchemaValues(opts: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
}
