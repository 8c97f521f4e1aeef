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
