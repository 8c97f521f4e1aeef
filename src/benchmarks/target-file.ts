/**
 * Architectures with measured accuracies from a JSON file, for `tsnas correlate --targets FILE`:
 * an array of objects, one per architecture, whose numeric fields are the columns. The architecture
 * is read, in this order, from `arch` (the space's text, or an object in the space's JSON form),
 * `genotype` (DARTS's `Genotype(...)` text, as NAS-Bench-301 data writes it) or `matrix` + `ops`
 * (NAS-Bench-101's spelling). The shared files read this way:
 * - `nb101/nb101_cells_250.json`: `val_accuracy`, `params_m`;
 * - `nb101/nb101_official_30.json`, NB101's own records: `params`, and from the 108-epoch runs the
 *   means over runs of the final validation and test accuracy, in percent (`val_accuracy`, `test_accuracy`);
 * - `nb301/nb301_surrogate_360.json`: `val_accuracy` (NAS-Bench-301's surrogate), `naslib_params_m`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getSpace } from '../spaces/index.js';
import { TsnasError } from '../util/errors.js';
import { repoRoot } from './nb201-table.js';

export interface TargetRecords {
  readonly path: string;
  readonly space: string;
  /** Canonical texts of the architectures (`space.format`), in file order. */
  readonly archs: readonly string[];
  /** Numeric columns that every record has, one value per record. */
  readonly columns: ReadonlyMap<string, readonly number[]>;
}

const SHARED_FILES: Record<string, { env: string; file: string[] }> = {
  nb101: { env: 'TSNAS_NB101', file: ['nb101', 'nb101_cells_250.json'] },
  darts: { env: 'TSNAS_NB301', file: ['nb301', 'nb301_surrogate_360.json'] },
};

/**
 * The default targets file of a space, where tsnas knows one: `$TSNAS_NB101` / `$TSNAS_NB301` if set,
 * else `<repo root>/../shared/data/...` (nb101: 250 NB101 cells; darts: 360 NB301 genotypes).
 */
export function defaultTargetFile(space: string): string | undefined {
  const d = SHARED_FILES[space];
  if (!d) return undefined;
  const env = process.env[d.env];
  if (env !== undefined && env.trim() !== '') return resolve(env.trim());
  return resolve(repoRoot(), '..', 'shared', 'data', ...d.file);
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function numericFields(r: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  // NB101's own records keep per-run results by epoch budget
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

function archText(rec: Record<string, unknown>): string {
  const a = rec['arch'] ?? rec['genotype'] ?? (rec['matrix'] !== undefined ? { matrix: rec['matrix'], ops: rec['ops'] } : undefined);
  if (a === undefined) throw new TsnasError("no architecture: expected a field 'arch', 'genotype' or 'matrix' + 'ops'");
  return typeof a === 'string' ? a : JSON.stringify(a);
}

/** Read a targets file for `space`; a bad record is an error naming its index. */
export function loadTargetFile(path: string, space: string): TargetRecords {
  const sp = getSpace(space);
  if (!existsSync(path)) throw new TsnasError(`targets file not found: ${path}`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TsnasError(`cannot read targets file ${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(data) || data.length === 0) throw new TsnasError(`${path}: expected a non-empty JSON array of records`);
  const archs: string[] = [];
  const fields: Record<string, number>[] = [];
  data.forEach((r: unknown, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new TsnasError(`${path}: record ${i}: expected an object`);
    const rec = r as Record<string, unknown>;
    try {
      archs.push(sp.format(sp.parse(archText(rec))));
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
  return { path, space, archs, columns };
}

/** A column's values (default `val_accuracy`); an unknown name is an error listing the known ones. */
export function targetColumn(r: TargetRecords, name = 'val_accuracy'): readonly number[] {
  const c = r.columns.get(name);
  if (!c) throw new TsnasError(`${r.path} has no numeric column '${name}' in every record (known: ${[...r.columns.keys()].join(', ') || 'none'})`);
  return c;
}
