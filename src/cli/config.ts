/**
 * `--config FILE` (YAML or JSON): a flat map of flag names to values, validated by a zod schema
 * built from the command's own options, then turned into flags. Flags given on the command line
 * win over the file. Unknown keys and wrong types are errors that name the key.
 */
import { readFileSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TsnasError } from '../util/errors.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

function flagName(o: Option): string {
  return (o.long ?? '').replace(/^--/, '');
}

/** Schema for one command: keys are its long flags (kebab-case) or their camelCase names. */
export function configSchema(cmd: Command) {
  const shape: Record<string, z.ZodType> = {};
  for (const o of cmd.options) {
    const name = flagName(o);
    if (!name || name === 'config' || name === 'help') continue;
    const t = o.required || o.optional ? (o.variadic ? z.array(scalar) : z.union([scalar, z.array(scalar)])) : z.boolean();
    shape[name] = t.optional();
    shape[o.attributeName()] = t.optional();
  }
  return z.strictObject(shape);
}

export function readConfig(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TsnasError(`cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new TsnasError(`config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Flags for the values in `file` that `argv` does not already set. */
export function configToArgs(cmd: Command, file: string, argv: readonly string[]): string[] {
  let raw = readConfig(file);
  // `strategy:` names the search subcommand (main.ts reads it); it is no flag of the strategy
  if (cmd.parent?.name() === 'search' && raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'strategy' in raw) {
    const { strategy: _s, ...rest } = raw as Record<string, unknown>;
    raw = rest;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new TsnasError(`config file ${file} must hold a mapping of flag names to values`);
  const parsed = configSchema(cmd).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
    const why = issue.code === 'unrecognized_keys' ? `unknown key for '${cmd.name()}'` : issue.message;
    throw new TsnasError(`config file ${file}: '${key}': ${why}`);
  }
  const out: string[] = [];
  for (const [key, value] of Object.entries(parsed.data as Record<string, unknown>)) {
    const opt = cmd.options.find((o) => flagName(o) === key || o.attributeName() === key)!;
    const flag = opt.long!;
    if (argv.includes(flag) || argv.some((a) => a.startsWith(`${flag}=`))) continue;
    if (opt.required || opt.optional) out.push(flag, Array.isArray(value) ? value.join(',') : String(value));
    else if (value === true) out.push(flag);
  }
  return out;
}
