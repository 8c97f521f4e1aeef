/**
 * Search checkpoints: `checkpoint.json` (config, progress, RNG/batcher/optimizer state, history)
 * plus the tensors as one little-endian float32 file `checkpoint-e<epoch>.bin`. Both are written to
 * a temporary name and renamed; the JSON is renamed last and names its binary, so a run killed at
 * any moment leaves the previous complete checkpoint readable.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TsnasError } from '../../util/errors.js';

export const CHECKPOINT_JSON = 'checkpoint.json';

export interface CheckpointMeta<S> {
  version: 1;
  /** Name of the binary file beside the JSON. */
  tensors: string;
  /** Element count of each stored tensor, in order. */
  sizes: number[];
  state: S;
}

function atomicWrite(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function saveCheckpoint<S>(dir: string, epoch: number, arrays: Float32Array[], state: S): void {
  mkdirSync(dir, { recursive: true });
  const bin = `checkpoint-e${epoch}.bin`;
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const buf = new Float32Array(total);
  let at = 0;
  for (const a of arrays) {
    buf.set(a, at);
    at += a.length;
  }
  atomicWrite(join(dir, bin), new Uint8Array(buf.buffer));
  const meta: CheckpointMeta<S> = { version: 1, tensors: bin, sizes: arrays.map((a) => a.length), state };
  atomicWrite(join(dir, CHECKPOINT_JSON), JSON.stringify(meta));
  for (const f of readdirSync(dir)) {
    if (/^checkpoint-e\d+\.bin$/.test(f) && f !== bin) rmSync(join(dir, f), { force: true });
  }
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_JSON));
}

export function loadCheckpoint<S>(dir: string): { arrays: Float32Array[]; state: S } {
  const path = join(dir, CHECKPOINT_JSON);
  let meta: CheckpointMeta<S>;
  try {
    meta = JSON.parse(readFileSync(path, 'utf8')) as CheckpointMeta<S>;
  } catch (e) {
    throw new TsnasError(`cannot read checkpoint ${path}: ${(e as Error).message}`);
  }
  if (meta.version !== 1) throw new TsnasError(`checkpoint ${path}: unsupported version ${meta.version}`);
  const raw = readFileSync(join(dir, meta.tensors));
  const total = meta.sizes.reduce((s, n) => s + n, 0);
  if (raw.byteLength !== total * 4) throw new TsnasError(`checkpoint ${meta.tensors}: ${raw.byteLength} bytes, expected ${total * 4}`);
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const arrays: Float32Array[] = [];
  let at = 0;
  for (const n of meta.sizes) {
    arrays.push(all.slice(at, at + n));
    at += n;
  }
  return { arrays, state: meta.state };
}
