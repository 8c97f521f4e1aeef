/**
 * The benchmarks' row files: one JSON object a line, appended as each row is done, so a missing file
 * is an empty one and blank lines (a line cut by a kill is completed by the next append) are skipped.
 * Not run directly.
 */
import { existsSync, readFileSync } from 'node:fs';

export function readJsonl<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}
