/**
 * The NAS-Bench-201 ground-truth table: one row per cell architecture (15,625 of them) with its
 * accuracies and measured latencies, loaded from a CSV (gzipped or plain).
 *
 * File format (the shipped `nb201.csv.gz`): a header line, then one line per architecture, comma
 * separated, LF or CRLF line ends, no quoting:
 *
 *   index, arch_str, cifar10_valid_val_acc, cifar10_test_acc, cifar100_val_acc, cifar100_test_acc,
 *   imagenet16_120_val_acc, imagenet16_120_test_acc, lat_<device>_ms x 27
 *
 * Accuracies are in percent, latencies in milliseconds. Every column except `arch_str` is numeric;
 * a field reading `nan` (any case) or empty is NaN, anything else that is not a number is an error.
 * Extra numeric columns are kept (a `lat_*` one counts as a latency column).
 *
 * Validation: the required columns must be in the header; every row must have as many fields as
 * the header, numeric fields, an integer `index`, and an `arch_str` in the canonical NB-201 form
 * (`|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`, ops from `none`, `skip_connect`, `nor_conv_1x1`,
 * `nor_conv_3x3`, `avg_pool_3x3`); indices and archs must be unique. Any violation is a TsnasError
 * naming the file (and the line, for a row).
 *
 * Row-count policy: a table with other than 15,625 architectures is an error unless
 * `{ allowPartial: true }` is passed; then it loads, `table.complete` is false, and the optional
 * `onWarning` callback is told the count.
 *
 * Column names: every method taking a column accepts the full name or one of these aliases.
 * Latency aliases drop the `lat_` prefix and the `_ms` suffix:
 *
 *   pixel3 -> lat_pixel3_ms          (Google Pixel 3)
 *   pixel2 -> lat_pixel2_ms          (Google Pixel 2)
 *   essential_ph_1 -> lat_essential_ph_1_ms  (Essential Phone)
 *   samsung_a50, samsung_s7          (phones)
 *   raspi4                           (Raspberry Pi 4)
 *   eyeriss, fpga                    (accelerators, simulated / measured)
 *   gold_6226, gold_6240, silver_4114, silver_4210r   (Intel Xeon CPUs)
 *   1080ti_{1,32,256}, 2080ti_{1,32,256}, titan_rtx_{1,32,256}, titanx_{1,32,256},
 *   titanxp_{1,32,256}               (GPUs; the number is the batch size)
 *
 * and `lat_<device>` (no `_ms`) works too. Accuracy aliases: `cifar10_val` -> cifar10_valid_val_acc,
 * `cifar10_test`, `cifar100_val`, `cifar100_test`, `imagenet16_val`, `imagenet16_test` -> the
 * matching `*_acc` column.
 */
import { NB201_SIZE, canonicalNb201 } from '../spaces/nb201.js';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { TsnasError } from '../util/errors.js';
import type { BenchmarkSource, BenchmarkTable } from './registry.js';

const gunzipAsync = promisify(gunzip);

/** Number of architectures in the full NAS-Bench-201 search space (5 ops on 6 edges). */
export const NB201_NUM_ARCHS = NB201_SIZE;

export const NB201_ACCURACY_COLUMNS = ['cifar10_valid_val_acc', 'cifar10_test_acc', 'cifar100_val_acc', 'cifar100_test_acc', 'imagenet16_120_val_acc', 'imagenet16_120_test_acc'] as const;

export const NB201_LATENCY_COLUMNS = [
  'lat_1080ti_1_ms',
  'lat_1080ti_256_ms',
  'lat_1080ti_32_ms',
  'lat_2080ti_1_ms',
  'lat_2080ti_256_ms',
  'lat_2080ti_32_ms',
  'lat_essential_ph_1_ms',
  'lat_eyeriss_ms',
  'lat_fpga_ms',
  'lat_gold_6226_ms',
  'lat_gold_6240_ms',
  'lat_pixel2_ms',
  'lat_pixel3_ms',
  'lat_raspi4_ms',
  'lat_samsung_a50_ms',
  'lat_samsung_s7_ms',
  'lat_silver_4114_ms',
  'lat_silver_4210r_ms',
  'lat_titan_rtx_1_ms',
  'lat_titan_rtx_256_ms',
  'lat_titan_rtx_32_ms',
  'lat_titanx_1_ms',
  'lat_titanx_256_ms',
  'lat_titanx_32_ms',
  'lat_titanxp_1_ms',
  'lat_titanxp_256_ms',
  'lat_titanxp_32_ms',
] as const;

/** Columns the header must contain. */
export const NB201_REQUIRED_COLUMNS: readonly string[] = ['index', 'arch_str', ...NB201_ACCURACY_COLUMNS, ...NB201_LATENCY_COLUMNS];

const ACCURACY_ALIASES: Readonly<Record<string, string>> = {
  cifar10_val: 'cifar10_valid_val_acc',
  cifar10_test: 'cifar10_test_acc',
  cifar100_val: 'cifar100_val_acc',
  cifar100_test: 'cifar100_test_acc',
  imagenet16_val: 'imagenet16_120_val_acc',
  imagenet16_test: 'imagenet16_120_test_acc',
};

/** Canonical form of an arch string (surrounding whitespace removed). */
export function normalizeArch(arch: string): string {
  return arch.trim();
}

/** Whether `arch` (after trimming) is a well-formed NB-201 arch string. */
export function isNb201Arch(arch: string): boolean {
  try {
    return canonicalNb201(arch) === normalizeArch(arch);
  } catch {
    return false;
  }
}

/** One architecture's row. `values` maps every numeric column's full name to its value. */
export interface Nb201Row {
  readonly index: number;
  readonly arch: string;
  readonly values: Readonly<Record<string, number>>;
}

export interface LoadNb201Options {
  /** Accept a table without all 15,625 architectures (default false: that is an error). */
  allowPartial?: boolean;
  /** Told about a partial table when `allowPartial` is set. */
  onWarning?: (message: string) => void;
}

export class Nb201Table implements BenchmarkTable {
  readonly name = 'nb201';
  readonly space = 'nb201';
  /** Numeric column names, in file order (everything but `arch_str`, `index` included). */
  readonly columns: readonly string[];
  /** The latency column names (`lat_*`), in file order. */
  readonly latencyColumns: readonly string[];
  /** Alias -> full column name (see the module comment). */
  readonly aliases: Readonly<Record<string, string>>;
  /** True when the table holds all 15,625 architectures. */
  readonly complete: boolean;

  private readonly archs: string[];
  private readonly data: Map<string, Float64Array>;
  private readonly byArch: Map<string, number>;
  private readonly byIndex: Map<number, number>;
  private readonly indexCol: Float64Array;

  /** Rows are given in index order; use `loadNb201Table` rather than this constructor. */
  constructor(
    readonly source: string,
    columns: readonly string[],
    archs: string[],
    data: Map<string, Float64Array>,
  ) {
    this.columns = [...columns];
    this.latencyColumns = columns.filter((c) => c.startsWith('lat_'));
    this.archs = archs;
    this.data = data;
    this.indexCol = data.get('index')!;
    this.byArch = new Map(archs.map((a, i) => [a, i]));
    this.byIndex = new Map();
    for (let i = 0; i < archs.length; i++) this.byIndex.set(this.indexCol[i]!, i);
    const aliases: Record<string, string> = {};
    for (const [alias, full] of Object.entries(ACCURACY_ALIASES)) if (data.has(full)) aliases[alias] = full;
    for (const c of this.latencyColumns) {
      const noSuffix = c.endsWith('_ms') ? c.slice(0, -3) : c;
      aliases[noSuffix.slice('lat_'.length)] = c;
      if (noSuffix !== c) aliases[noSuffix] = c;
    }
    for (const c of columns) delete aliases[c]; // a real column name always means itself
    this.aliases = aliases;
    this.complete = archs.length === NB201_NUM_ARCHS;
  }

  /** Number of architectures. */
  get size(): number {
    return this.archs.length;
  }

  /** Full column name for a column name or alias; TsnasError if unknown. */
  resolveColumn(name: string): string {
    const n = name.trim();
    if (this.data.has(n)) return n;
    const full = this.aliases[n];
    if (full !== undefined) return full;
    throw new TsnasError(`NAS-Bench-201 table ${this.source} has no column '${name}'; columns: ${this.columns.join(', ')}` + ` (aliases: ${Object.keys(this.aliases).join(', ')})`);
  }

  private position(archOrIndex: string | number): number | undefined {
    if (typeof archOrIndex === 'number') return this.byIndex.get(archOrIndex);
    return this.byArch.get(normalizeArch(archOrIndex));
  }

  /** Whether the table has this architecture (arch string or table index). */
  has(archOrIndex: string | number): boolean {
    return this.position(archOrIndex) !== undefined;
  }

  private positionOrThrow(archOrIndex: string | number): number {
    const pos = this.position(archOrIndex);
    if (pos !== undefined) return pos;
    if (typeof archOrIndex === 'number') {
      throw new TsnasError(`NAS-Bench-201 table ${this.source} has no architecture with index ${archOrIndex}`);
    }
    const a = normalizeArch(archOrIndex);
    canonicalNb201(a); // a malformed string gets the parser's error, naming the position
    throw new TsnasError(`NAS-Bench-201 table ${this.source} has no architecture '${a}'`);
  }

  private rowAt(pos: number): Nb201Row {
    const values: Record<string, number> = {};
    for (const c of this.columns) values[c] = this.data.get(c)![pos]!;
    return { index: this.indexCol[pos]!, arch: this.archs[pos]!, values };
  }

  /** The row of an architecture, by arch string or by table index; TsnasError naming it if absent. */
  get(archOrIndex: string | number): Nb201Row {
    return this.rowAt(this.positionOrThrow(archOrIndex));
  }

  /** One value: `table.value(arch, 'cifar10_test_acc')`, `table.value(arch, 'pixel3')`. */
  value(archOrIndex: string | number, column: string): number {
    const col = this.data.get(this.resolveColumn(column))!;
    return col[this.positionOrThrow(archOrIndex)]!;
  }

  /** All rows, in index order. */
  *rows(): IterableIterator<Nb201Row> {
    for (let i = 0; i < this.archs.length; i++) yield this.rowAt(i);
  }

  /** All arch strings, in index order. */
  archStrings(): readonly string[] {
    return this.archs;
  }

  /** A copy of one column, all rows in index order (aligned with `rows()`). */
  column(name: string): Float64Array {
    return Float64Array.from(this.data.get(this.resolveColumn(name))!);
  }

  /**
   * The row with the largest (`'max'`) or smallest (`'min'`) value of a column; NaNs are skipped
   * and ties go to the lowest index.
   */
  best(column: string, direction: 'max' | 'min'): Nb201Row {
    if (direction !== 'max' && direction !== 'min') {
      throw new TsnasError(`best: direction must be 'max' or 'min', got '${String(direction)}'`);
    }
    const full = this.resolveColumn(column);
    const col = this.data.get(full)!;
    let bestPos = -1;
    for (let i = 0; i < col.length; i++) {
      const v = col[i]!;
      if (Number.isNaN(v)) continue;
      if (bestPos < 0 || (direction === 'max' ? v > col[bestPos]! : v < col[bestPos]!)) bestPos = i;
    }
    if (bestPos < 0) throw new TsnasError(`NAS-Bench-201 table ${this.source}: column '${full}' has no values`);
    return this.rowAt(bestPos);
  }
}

/** A numeric field: NaN for '' or 'nan', undefined when it is not a number. */
function parseNumber(field: string): number | undefined {
  const f = field.trim();
  if (f === '' || f.toLowerCase() === 'nan') return NaN;
  const v = Number(f);
  return Number.isNaN(v) ? undefined : v;
}

/**
 * Loads a NAS-Bench-201 CSV table (gzip detected by its magic bytes 1f 8b). See the module comment
 * for the format, the validation and the row-count policy. The shipped table loads in ~0.2 s.
 */
export async function loadNb201Table(path: string, options: LoadNb201Options = {}): Promise<Nb201Table> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TsnasError(code === 'ENOENT' ? `NAS-Bench-201 table not found: ${path} (set TSNAS_NB201 to its location)` : `cannot read NAS-Bench-201 table ${path}: ${(e as Error).message}`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = await gunzipAsync(buf);
    } catch (e) {
      throw new TsnasError(`NAS-Bench-201 table ${path} is not a valid gzip file: ${(e as Error).message}`);
    }
  }
  const text = buf.toString('utf8');
  return parseNb201Csv(text, path, options);
}

/** Parses the CSV text of a NAS-Bench-201 table; `source` names it in errors. */
export function parseNb201Csv(text: string, source: string, options: LoadNb201Options = {}): Nb201Table {
  const err = (msg: string) => new TsnasError(`NAS-Bench-201 table ${source}: ${msg}`);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | undefined => {
    if (pos >= text.length) return undefined;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    let line = text.slice(pos, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = end + 1;
    lineNo++;
    return line;
  };

  const headerLine = nextLine();
  if (headerLine === undefined || headerLine.trim() === '') throw err('the file is empty (no header line)');
  const header = headerLine.split(',').map((h) => h.trim());
  const seenCols = new Set<string>();
  for (const h of header) {
    if (h === '') throw err('the header has an empty column name');
    if (seenCols.has(h)) throw err(`the header repeats column '${h}'`);
    seenCols.add(h);
  }
  const missing = NB201_REQUIRED_COLUMNS.filter((c) => !seenCols.has(c));
  if (missing.length > 0) {
    throw err(`the header lacks column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c}'`).join(', ')}`);
  }
  const archCol = header.indexOf('arch_str');
  const numericCols = header.map((h, i) => ({ h, i })).filter(({ i }) => i !== archCol);
  const indexCol = header.indexOf('index');
  const nf = header.length;

  const archs: string[] = [];
  const raw: number[][] = numericCols.map(() => []);
  const seenArch = new Map<string, number>();
  const seenIndex = new Map<number, number>();
  for (let line = nextLine(); line !== undefined; line = nextLine()) {
    if (line.trim() === '') continue; // blank lines (e.g. at the end) are allowed
    const fields = line.split(',');
    if (fields.length !== nf) {
      throw err(`line ${lineNo}: ${fields.length} fields, expected ${nf} (as in the header)`);
    }
    const arch = normalizeArch(fields[archCol]!);
    if (!isNb201Arch(arch)) throw err(`line ${lineNo}: '${arch}' is not a NAS-Bench-201 arch string`);
    const prevArch = seenArch.get(arch);
    if (prevArch !== undefined) throw err(`line ${lineNo}: architecture ${arch} already appeared on line ${prevArch}`);
    seenArch.set(arch, lineNo);
    for (let c = 0; c < numericCols.length; c++) {
      const { h, i } = numericCols[c]!;
      const v = parseNumber(fields[i]!);
      if (v === undefined) throw err(`line ${lineNo}: column '${h}' is not a number: '${fields[i]}'`);
      if (i === indexCol) {
        if (!Number.isInteger(v) || v < 0) throw err(`line ${lineNo}: index '${fields[i]}' is not a non-negative integer`);
        const prev = seenIndex.get(v);
        if (prev !== undefined) throw err(`line ${lineNo}: index ${v} already appeared on line ${prev}`);
        seenIndex.set(v, lineNo);
      }
      raw[c]!.push(v);
    }
    archs.push(arch);
  }

  const n = archs.length;
  if (n === 0) throw err('no rows after the header');
  if (n !== NB201_NUM_ARCHS) {
    const msg = `${n} architectures, expected ${NB201_NUM_ARCHS}`;
    if (!options.allowPartial) throw err(`${msg} (pass { allowPartial: true } to load a partial table)`);
    options.onWarning?.(`NAS-Bench-201 table ${source}: ${msg}; loaded as a partial table`);
  }

  // index order
  const idxPos = numericCols.findIndex(({ i }) => i === indexCol);
  const idx = raw[idxPos]!;
  const order = Array.from({ length: n }, (_, i) => i);
  let sorted = true;
  for (let i = 1; i < n; i++) if (idx[i]! < idx[i - 1]!) sorted = false;
  if (!sorted) order.sort((a, b) => idx[a]! - idx[b]!);
  const data = new Map<string, Float64Array>();
  numericCols.forEach(({ h }, c) => {
    const src = raw[c]!;
    data.set(
      h,
      Float64Array.from(order, (i) => src[i]!),
    );
  });
  return new Nb201Table(
    source,
    numericCols.map(({ h }) => h),
    order.map((i) => archs[i]!),
    data,
  );
}

/** The repository root: the nearest ancestor of this module holding a package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
    dir = up;
  }
}

/** `$TSNAS_NB201` if set, else `<repo root>/../shared/data/nb201/nb201.csv.gz`. */
export function defaultNb201Path(): string {
  const env = process.env['TSNAS_NB201'];
  if (env !== undefined && env.trim() !== '') return resolve(env.trim());
  return resolve(repoRoot(), '..', 'shared', 'data', 'nb201', 'nb201.csv.gz');
}

/** The NAS-Bench-201 table as a registered benchmark (src/benchmarks/builtin.ts). */
export const nb201Benchmark: BenchmarkSource<Nb201Table> = {
  name: 'nb201',
  space: 'nb201',
  title: 'NAS-Bench-201',
  defaultPath: defaultNb201Path,
  load: (path) => loadNb201Table(path),
};
