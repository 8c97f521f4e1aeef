/**
 * Where tests find the shared benchmark data: `$TSNAS_SHARED_DATA`, default `<repo>/../shared/data`.
 * Tests that need a file skip (with `nb201SkipReason` as the message) only when it is absent.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const envDir = process.env['TSNAS_SHARED_DATA'];
export const sharedDataDir: string = envDir !== undefined && envDir.trim() !== '' ? resolve(envDir.trim()) : resolve(repo, '..', 'shared', 'data');

export const nb201Path: string = join(sharedDataDir, 'nb201', 'nb201.csv.gz');

export const nb201Available: boolean = existsSync(nb201Path);

/** `false` when the table is there, else a message for `test(..., { skip })`. */
export const nb201SkipReason: string | false = nb201Available ? false : `NAS-Bench-201 table not found at ${nb201Path} (set TSNAS_SHARED_DATA to the folder holding nb201/nb201.csv.gz)`;
