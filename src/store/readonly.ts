/**
 * A read-only view of an experiment store, for readers that must never change it (the dashboard):
 * the file must exist, nothing is created or migrated, and writes fail at the SQLite level.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { TsnasError } from '../util/errors.js';
import { STORE_SCHEMA_VERSION } from './store.js';

/** Open `path` read-only and check it is a tsnas store of a schema this tsnas reads. */
export function openStoreDatabaseReadonly(path: string, o: { busyTimeoutMs?: number } = {}): Database.Database {
  if (!existsSync(path)) throw new TsnasError(`no experiment store at ${path}`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(o.busyTimeoutMs ?? 2000))}`);
  } catch (e) {
    throw new TsnasError(`cannot open the store ${path}: ${(e as Error).message}`);
  }
  try {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map((r) => r.name));
    for (const t of ['meta', 'runs', 'trials', 'metrics']) if (!tables.has(t)) throw new TsnasError(`${path} is not a tsnas store (no '${t}' table)`);
    const row = db.prepare("SELECT value FROM meta WHERE key='schema_version'").get() as { value: string } | undefined;
    const v = Number(row?.value ?? NaN);
    if (!Number.isInteger(v)) throw new TsnasError(`store ${path} has no valid schema version`);
    if (v > STORE_SCHEMA_VERSION) throw new TsnasError(`store ${path} has schema version ${v}, newer than this tsnas (${STORE_SCHEMA_VERSION})`);
  } catch (e) {
    db.close();
    if (e instanceof TsnasError) throw e;
    throw new TsnasError(`store ${path} is not a usable tsnas store: ${(e as Error).message}`);
  }
  return db;
}
