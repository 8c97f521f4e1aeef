/**
 * Reading data files that may or may not be gzipped. Compression is detected from the gzip magic
 * bytes (0x1f 0x8b), never from the file name, so `x.bin` holding gzip data and `x.bin.gz` holding
 * plain bytes both work.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { TsnasError } from '../util/errors.js';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The contents of `path`, decompressed when they are gzip data. `what` names the file's role in
 * error messages (e.g. "CIFAR-10 record file").
 */
export function readMaybeGzip(path: string, what = 'data file'): Uint8Array {
  if (!existsSync(path)) throw new TsnasError(`${what} not found: ${path}`);
  if (statSync(path).isDirectory()) throw new TsnasError(`${what} is a directory, not a file: ${path}`);
  const raw = readFileSync(path);
  if (!isGzip(raw)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  try {
    const out = gunzipSync(raw);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new TsnasError(`${what} ${path} looks gzipped but could not be decompressed (${(e as Error).message}); the file is corrupt or truncated`);
  }
}

/** The first of `dir/name` for `name` in `names` that exists (plain or `.gz`), else undefined. */
export function findFirst(dir: string, names: readonly string[]): string | undefined {
  for (const name of names) {
    for (const candidate of [name, `${name}.gz`]) {
      const p = join(dir, candidate);
      if (existsSync(p) && statSync(p).isFile()) return p;
    }
  }
  return undefined;
}

export function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
