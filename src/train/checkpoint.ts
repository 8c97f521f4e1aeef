/**
 * Checkpoint files: one binary file, written atomically (to `<file>.tmp-<pid>`, fsync, rename), so
 * a kill at any moment leaves either the previous checkpoint or the new one, never a torn file.
 *
 * Layout (little-endian): 8 bytes magic "TSNASCK1", u32 header length L, L bytes of UTF-8 JSON
 * header, zero padding to a multiple of 4, then the float32 data of every tensor in header order.
 * Header: { meta, tensors: [{ group, name, shape, offset, length }] } (offset/length in floats).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, existsSync, unlinkSync } from 'node:fs';
import { TsnasError } from '../util/errors.js';

const MAGIC = 'TSNASCK1';

export interface TensorEntry {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface CheckpointData<M> {
  meta: M;
  /** Named groups of tensors, e.g. params, buffers, momentum. */
  groups: Record<string, TensorEntry[]>;
}

export function writeFileAtomic(file: string, chunks: (Uint8Array | string)[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) {
      const buf = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function writeCheckpoint<M>(file: string, ck: CheckpointData<M>): void {
  const tensors: { group: string; name: string; shape: number[]; offset: number; length: number }[] = [];
  let offset = 0;
  const datas: Float32Array[] = [];
  for (const [group, entries] of Object.entries(ck.groups)) {
    for (const e of entries) {
      tensors.push({ group, name: e.name, shape: e.shape, offset, length: e.data.length });
      offset += e.data.length;
      datas.push(e.data);
    }
  }
  const header = Buffer.from(JSON.stringify({ meta: ck.meta, tensors }), 'utf8');
  const pre = Buffer.alloc(12);
  pre.write(MAGIC, 0, 'ascii');
  pre.writeUInt32LE(header.length, 8);
  const pad = Buffer.alloc((4 - ((12 + header.length) % 4)) % 4);
  const body = datas.map((d) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  writeFileAtomic(file, [pre, header, pad, ...body]);
}

export function readCheckpoint<M>(file: string): CheckpointData<M> {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new TsnasError(`cannot read checkpoint ${file}: ${(e as Error).message}`);
  }
  if (buf.length < 12 || buf.toString('ascii', 0, 8) !== MAGIC) throw new TsnasError(`${file} is not a tsnas checkpoint`);
  const hl = buf.readUInt32LE(8);
  const header = JSON.parse(buf.toString('utf8', 12, 12 + hl)) as {
    meta: M;
    tensors: { group: string; name: string; shape: number[]; offset: number; length: number }[];
  };
  const start = 12 + hl + ((4 - ((12 + hl) % 4)) % 4);
  const total = header.tensors.reduce((s, t) => s + t.length, 0);
  if (buf.length !== start + 4 * total) throw new TsnasError(`checkpoint ${file} is truncated (${buf.length} bytes, expected ${start + 4 * total})`);
  // Copy into an aligned buffer (Buffer's byteOffset need not be a multiple of 4).
  const all = new Float32Array(total);
  new Uint8Array(all.buffer).set(buf.subarray(start, start + 4 * total));
  const groups: Record<string, TensorEntry[]> = {};
  for (const t of header.tensors) {
    (groups[t.group] ??= []).push({ name: t.name, shape: t.shape, data: all.subarray(t.offset, t.offset + t.length) });
  }
  return { meta: header.meta, groups };
}

export function removeIfExists(file: string): void {
  if (existsSync(file)) unlinkSync(file);
}
