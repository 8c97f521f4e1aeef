/**
 * Spaces from files, wherever `--space` is accepted: a YAML/JSON space file (schema.ts) or a
 * TypeScript/JavaScript module whose default export (or `space` export) is a SearchSpace or a
 * space spec object. A loaded space is registered under its own name (so its architectures'
 * `space` is that name) and remembered by absolute path; loading the same file again gives the
 * same space. YAML/JSON load synchronously on first use (`getSpace('./my.yaml')`); a module needs
 * the asynchronous `resolveSpace` once (the CLI and `search()` call it for `--space`).
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { TsnasError } from '../../util/errors.js';
import { getSpace, hasSpace, isSpacePath, registerSpace, setSpacePathLoader } from '../registry.js';
import type { SearchSpace } from '../space.js';
import { parseSpaceSpec } from './schema.js';
import { declarativeSpace } from './space.js';

const byPath = new Map<string, SearchSpace<unknown>>();

const MODULE_EXT = /^\.[cm]?[jt]s$/i;

function register(path: string, space: SearchSpace<unknown>): SearchSpace<unknown> {
  if (hasSpace(space.name) && !isSpacePath(space.name) && [...byPath.values()].every((s) => s.name !== space.name)) {
    throw new TsnasError(`space file ${path}: its name '${space.name}' is taken by a registered space; rename it`);
  }
  registerSpace(space, { replace: true });
  byPath.set(resolve(path), space);
  return space;
}

/** Read and validate a YAML/JSON space file; the space, registered. */
export function loadSpaceFile(path: string): SearchSpace<unknown> {
  const abs = resolve(path);
  const hit = byPath.get(abs);
  if (hit) return hit;
  const ext = extname(path).toLowerCase();
  if (MODULE_EXT.test(ext)) throw new TsnasError(`space module ${path} is not loaded yet: load it with resolveSpace('${path}') (the CLI does this for --space)`);
  if (!['.yaml', '.yml', '.json'].includes(ext)) throw new TsnasError(`space file ${path}: expected .yaml, .yml, .json, .ts or .js`);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new TsnasError(`cannot read space file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!;
    // YAML refuses a repeated key; in a space file that is a label given twice
    if (/Map keys must be unique/.test(msg)) throw new TsnasError(`space file ${path}: duplicated label or key (${msg})`);
    throw new TsnasError(`space file ${path} is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${msg}`);
  }
  return register(path, declarativeSpace(parseSpaceSpec(raw, `space file ${path}`)));
}

function isSearchSpace(x: unknown): x is SearchSpace<unknown> {
  return x !== null && typeof x === 'object' && typeof (x as SearchSpace).parse === 'function' && typeof (x as SearchSpace).buildNetwork === 'function';
}

/** Import a TypeScript/JavaScript module exporting a space (default or `space`): a SearchSpace or a spec object. */
export async function loadSpaceModule(path: string): Promise<SearchSpace<unknown>> {
  const abs = resolve(path);
  const hit = byPath.get(abs);
  if (hit) return hit;
  const url = pathToFileURL(abs).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw new TsnasError(`cannot import space module ${path}: ${(e as Error).message.split('\n')[0]}`);
    // a .ts module outside a tsx process (the built CLI): tsx compiles it when installed
    try {
      const tsx = (await import('tsx/esm/api')) as { tsImport: (u: string, parent: string) => Promise<Record<string, unknown>> };
      mod = await tsx.tsImport(url, import.meta.url);
    } catch (e2) {
      throw new TsnasError(`cannot import space module ${path}: ${(e2 as Error).message.split('\n')[0]} (a .ts space needs tsx installed, or compile it to .js)`);
    }
  }
  const exported = mod['default'] ?? mod['space'];
  if (exported === undefined) throw new TsnasError(`space module ${path} exports no space (export default, or export const space)`);
  const space = isSearchSpace(exported) ? exported : declarativeSpace(parseSpaceSpec(exported, `space module ${path}`));
  return register(path, space);
}

/** The space a --space value names: a registered name, a space file, or a space module (loaded once). */
export async function resolveSpace(nameOrPath: string): Promise<SearchSpace<unknown>> {
  if (isSpacePath(nameOrPath) && MODULE_EXT.test(extname(nameOrPath))) return loadSpaceModule(nameOrPath);
  return getSpace(nameOrPath);
}

setSpacePathLoader(loadSpaceFile);
