/** Parsers for numeric command-line flags: a bad value is a TsnasError naming the flag and range. */
import { TsnasError } from './errors.js';

export function intArg(name: string, min = -Infinity, max = Infinity) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new TsnasError(`--${name} must be an integer in [${min}, ${max}], got '${v}'`);
    return n;
  };
}

export function numArg(name: string, min = -Infinity, max = Infinity) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new TsnasError(`--${name} must be a number in [${min}, ${max}], got '${v}'`);
    return n;
  };
}

const SECONDS_PER: Record<string, number> = { '': 1, s: 1, m: 60, min: 60, h: 3600 };

/** A duration such as `90s`, `20m`, `1.5h` or `300` (seconds) in seconds; a bad one is an error naming `--name`. */
export function parseDuration(text: string, name: string): number {
  const m = /^\s*(\d+\.?\d*|\.\d+)\s*(s|m|min|h)?\s*$/.exec(text);
  const v = m ? Number(m[1]) * SECONDS_PER[m[2] ?? '']! : NaN;
  if (!(v > 0)) throw new TsnasError(`--${name} must be a positive duration such as 90s, 20m or 1.5h, got '${text}'`);
  return v;
}
