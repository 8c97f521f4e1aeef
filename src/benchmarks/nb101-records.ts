/**
 * NAS-Bench-101 records from a JSON file: an array of objects with `matrix` and `ops` (NB101's
 * spelling) and numeric fields, as in `shared/data/nb101/`. Two shapes are read:
 * - flat records (`nb101_cells_250.json`): every numeric field is a column (`val_accuracy`, `params_m`);
 * - NB101's own records (`nb101_official_30.json`): `params`, and from the 108-epoch runs the means
 *   over runs of the final validation and test accuracy, in percent (`val_accuracy`, `test_accuracy`).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatNb101, makeNb101Cell } from '../spaces/nb101.js';
import { TsnasError } from '../util/errors.js';
import { repoRoot } from './nb201-table.js';

export interface Nb101Records {
  /** Canonical compact strings of the (pruned) cells, in file order. */
  readonly archs: readonly string[];
  /** Numeric columns, one value per record. */
  readonly columns: ReadonlyMap<string, readonly number[]>;
}

/** `$TSNAS_NB101` if set, else `<repo root>/../shared/data/nb101/nb101_cells_250.json`. */
export function defaultNb101Path(): string {
  const env = process.env['TSNAS_NB101'];
  if (env !== undefined && env.trim() !== '') return resolve(env.trim());
  return resolve(repoRoot(), '..', 'shared', 'data', 'nb101', 'nb101_cells_250.json');
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function numericFields(r: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  const runs = (r['results'] as Record<string, unknown> | undefined)?.['108'];
  if (Array.isArray(runs) && runs.length > 0) {
    const field = (f: string) => runs.map((x) => Number((x as Record<string, unknown>)[f]));
    const val = field('final_validation_accuracy');
    const test = field('final_test_accuracy');
    if (val.every(Number.isFinite)) out['val_accuracy'] = 100 * mean(val);
    if (test.every(Number.isFinite)) out['test_accuracy'] = 100 * mean(test);
  }
  return out;
}

/** Read records; an invalid cell is an error naming its index. Columns are those every record has. */
export function loadNb101Records(path: string): Nb101Records {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TsnasError(`cannot read NAS-Bench-101 records ${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(data) || data.length === 0) throw new TsnasError(`${path}: expected a non-empty JSON array of NB101 records`);
  const archs: string[] = [];
  const fields: Record<string, number>[] = [];
  data.forEach((r: unknown, i) => {
    const rec = r as Record<string, unknown>;
    try {
      archs.push(formatNb101(makeNb101Cell(rec['matrix'], rec['ops'])));
    } catch (e) {
      throw new TsnasError(`${path}: record ${i}: ${(e as Error).message}`);
    }
    fields.push(numericFields(rec));
  });
  const columns = new Map<string, number[]>();
  for (const k of Object.keys(fields[0]!))
    if (fields.every((f) => k in f))
      columns.set(
        k,
        fields.map((f) => f[k]!),
      );
  return { archs, columns };
}

/** A column's values; an unknown name is an error listing the known ones. */
export function nb101Column(r: Nb101Records, name: string): readonly number[] {
  const c = r.columns.get(name);
  if (!c) throw new TsnasError(`NB101 records have no column '${name}' (known: ${[...r.columns.keys()].join(', ')})`);
  return c;
}
