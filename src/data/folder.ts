/**
 * Your own images: a folder in the Keras / torchvision layout, `DIR/<class>/**\/*.png|jpg|jpeg|bmp`.
 *
 * - Classes are the sub-folders of DIR, sorted by name (code-unit order), unless `classNames` fixes
 *   their order (it must then name exactly the class folders). Files directly in DIR are ignored;
 *   inside a class folder, sub-folders are walked. Hidden entries (names starting with `.`) are
 *   skipped everywhere, so `.DS_Store` and the cache folder never count.
 * - Decoding is pure JS: PNG with pngjs, JPEG with jpeg-js (strict, not tolerant), BMP with the small
 *   reader below (uncompressed 24/32-bit BI_RGB or BI_BITFIELDS; anything else is an error asking to
 *   re-save). The format is recognised from the file's first bytes; the extension must still be one of
 *   the allowed ones. Alpha is dropped (as PIL's convert('RGB') does).
 * - Resizing to imageSize×imageSize is separable, in plain TS: an area average (box filter with
 *   fractional overlaps) along an axis that shrinks, bilinear with half-pixel centres (TF's
 *   half_pixel_centers, PyTorch's align_corners=False) along an axis that grows, and a copy along an
 *   axis that keeps its size, so an image already at the size is bit-exact. Values are rounded to bytes.
 * - Colour: 'gray' converts with ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B, rounded) before
 *   resizing; 'rgb' replicates a gray image's channel; undefined: every image must have the same mode
 *   (a gray one is a PNG with a gray colour type or a 1-component JPEG), else an error naming one of each.
 * - Strict like torchvision: an empty class folder, no class folders, an unsupported extension, a
 *   0-byte, unreadable or corrupt file are one-line TsnasErrors naming the path. Nothing is cached
 *   unless the whole folder decodes.
 * - Cache: the decoded bytes and labels go to `<cacheDir>/<sha256>.bin` (default cacheDir:
 *   `DIR/.tsnas-cache`), the hash covering every file's relative path, size and modification time,
 *   the image size, the colour option and the class names, so touching or replacing a file makes a
 *   new entry. Written atomically (temporary file, then rename); a cache file that does not parse is
 *   ignored and rewritten; a folder that cannot be written to is simply not cached.
 * - sharp: `loadImageFolderAsync` decodes and resizes with sharp when it is installed (an optional
 *   accelerator, not a dependency); `loadImageFolder` (and so `loadDataset('folder')`, which is
 *   synchronous) always uses the pure-JS path. Both share the cache; its entries record the decoder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, extname, join, relative, sep } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { TsnasError } from '../util/errors.js';
import { fromRaw } from './core.js';
import { splitTrainVal } from './split.js';
import type { Dataset, RawImageSet, Split } from './types.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp'] as const;
export const IMAGE_FOLDER_DEFAULT_SIZE = 32;
export const IMAGE_FOLDER_CACHE_DIR = '.tsnas-cache';
export type ColorMode = 'rgb' | 'gray';

/** What a load did: for logs, and for tests that check the cache was used. */
export interface ImageFolderLoadInfo {
  dir: string;
  files: number;
  /** Images decoded in this call (0 when the cache answered). */
  decoded: number;
  fromCache: boolean;
  /** The cache entry read or written; undefined when caching is off or the folder could not be written to. */
  cacheFile?: string;
  /** 'pngjs/jpeg-js/bmp' or 'sharp'. */
  decoder: string;
  channels: number;
}

export interface ImageFolderOptions {
  /** Side of the square images produced (default 32). */
  imageSize?: number;
  /** 'rgb' or 'gray'; undefined: keep the folder's mode, which must be the same for every image. */
  color?: ColorMode;
  /** The classes in label order; must name exactly the class folders. Default: the folders sorted by name. */
  classNames?: readonly string[];
  /** Keep a seeded, stratified random `limit` of the images (in folder order). */
  limit?: number;
  /** Seed of the `limit` draw (default 0). */
  seed?: number;
  /** Where decoded images are cached (default DIR/.tsnas-cache); false: no cache. */
  cacheDir?: string | false;
  /** The dataset's name (default 'folder'). */
  name?: string;
  /** Told what the load did. */
  onLoad?: (info: ImageFolderLoadInfo) => void;
}

// ---------------------------------------------------------------------------------------------
// Listing

interface FileEntry {
  path: string;
  rel: string;
  label: number;
  size: number;
  mtimeMs: number;
}

function isHidden(name: string): boolean {
  return name.startsWith('.');
}

function statOrFail(path: string): Stats {
  try {
    return statSync(path);
  } catch (e) {
    throw new TsnasError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function readdirOrFail(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw new TsnasError(`cannot read folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Split a comma-separated class list (the --class-names flag) into names, checking for blanks and repeats. */
export function parseClassNames(value: string | readonly string[]): string[] {
  const names = (typeof value === 'string' ? value.split(',') : [...value]).map((s) => s.trim());
  if (names.length === 0 || names.some((s) => s === '')) throw new TsnasError(`class names must be a comma-separated list of non-empty names, got ${JSON.stringify(value)}`);
  const seen = new Set<string>();
  for (const s of names) {
    if (seen.has(s)) throw new TsnasError(`class name ${JSON.stringify(s)} is listed twice`);
    seen.add(s);
  }
  return names;
}

/** The class folders of `dir` in label order, and every image file with its label (sorted by path within a class). */
export function listImageFolder(dir: string, classNames?: readonly string[]): { classNames: string[]; files: FileEntry[] } {
  const st = statOrFail(dir);
  if (!st.isDirectory()) throw new TsnasError(`image folder ${dir} is not a directory`);
  const folders = readdirOrFail(dir)
    .filter((name) => !isHidden(name) && statOrFail(join(dir, name)).isDirectory())
    .sort();
  if (folders.length === 0) throw new TsnasError(`image folder ${dir} has no class folders (expected ${join(dir, '<class>', '<image>.png')})`);
  let classes = folders;
  if (classNames) {
    classes = parseClassNames(classNames);
    const missing = classes.filter((c) => !folders.includes(c));
    if (missing.length) throw new TsnasError(`class folder ${join(dir, missing[0]!)} not found (the class names must name exactly the folders of ${dir}: ${folders.join(', ')})`);
    const extra = folders.filter((f) => !classes.includes(f));
    if (extra.length) throw new TsnasError(`class folder ${join(dir, extra[0]!)} is not among the class names ${classes.join(',')}`);
  }
  const files: FileEntry[] = [];
  classes.forEach((cls, label) => {
    const classDir = join(dir, cls);
    const before = files.length;
    const walk = (d: string): void => {
      for (const name of readdirOrFail(d).sort()) {
        if (isHidden(name)) continue;
        const path = join(d, name);
        const s = statOrFail(path);
        if (s.isDirectory()) {
          walk(path);
          continue;
        }
        const ext = extname(name).toLowerCase();
        if (!(IMAGE_EXTENSIONS as readonly string[]).includes(ext)) {
          throw new TsnasError(`unsupported file ${path}: the extension must be one of ${IMAGE_EXTENSIONS.join(', ')} (hidden files are skipped)`);
        }
        files.push({ path, rel: relative(dir, path).split(sep).join('/'), label, size: s.size, mtimeMs: s.mtimeMs });
      }
    };
    walk(classDir);
    if (files.length === before) throw new TsnasError(`class folder ${classDir} has no images (${IMAGE_EXTENSIONS.join(', ')})`);
  });
  return { classNames: [...classes], files };
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** A decoded image: 1 (gray) or 3 (RGB) bytes per pixel, row-major. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
}
function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}
function isBmp(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d;
}

/** RGBA (4 bytes per pixel) → RGB or gray (taking R of a gray image). */
function fromRgba(rgba: Uint8Array, w: number, h: number, channels: 1 | 3): Uint8Array {
  const out = new Uint8Array(w * h * channels);
  for (let p = 0, q = 0; p < w * h; p++, q += 4) {
    if (channels === 1) out[p] = rgba[q]!;
    else {
      out[p * 3] = rgba[q]!;
      out[p * 3 + 1] = rgba[q + 1]!;
      out[p * 3 + 2] = rgba[q + 2]!;
    }
  }
  return out;
}

/** The number of components in a JPEG's frame header (1 = gray), or undefined when no SOF marker is found. */
export function jpegComponents(b: Uint8Array): number | undefined {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++;
      continue;
    }
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return b[i + 9];
    if (m === 0xda) return undefined;
    i += 2 + len;
  }
  return undefined;
}

/**
 * A minimal BMP reader: BITMAPINFOHEADER or later, uncompressed 24-bit (BI_RGB) or 32-bit (BI_RGB or
 * BI_BITFIELDS with 8-bit masks), bottom-up or top-down. Returns RGB.
 */
export function decodeBmp(b: Uint8Array, path: string): DecodedImage {
  const bad = (why: string) => new TsnasError(`cannot decode BMP ${path}: ${why}`);
  if (b.length < 54) throw bad('file too short for a BMP header');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataOffset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  if (headerSize < 40) throw bad(`unsupported header size ${headerSize} (OS/2 bitmaps are not read)`);
  const width = dv.getInt32(18, true);
  const rawHeight = dv.getInt32(22, true);
  const bpp = dv.getUint16(28, true);
  const compression = dv.getUint32(30, true);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw bad(`bad size ${width}×${rawHeight}`);
  if (!(bpp === 24 || bpp === 32)) throw bad(`${bpp}-bit images are not read; re-save as 24-bit`);
  let shifts = [16, 8, 0];
  if (compression === 3 && bpp === 32) {
    // the R, G, B masks follow the 40-byte header (BITMAPINFOHEADER) or sit inside it (V4, V5) at the same offset
    const masks = [dv.getUint32(54, true), dv.getUint32(58, true), dv.getUint32(62, true)];
    shifts = masks.map((m) => {
      const s = [0, 8, 16, 24].find((k) => m === (0xff << k) >>> 0);
      if (s === undefined) throw bad(`unsupported colour mask 0x${m.toString(16)}`);
      return s;
    });
  } else if (compression !== 0) throw bad(`compressed BMPs (compression ${compression}) are not read; re-save uncompressed`);
  const bytesPer = bpp / 8;
  const stride = Math.ceil((width * bytesPer) / 4) * 4;
  if (dataOffset + stride * height > b.length) throw bad(`truncated: ${b.length} bytes, pixel data needs ${dataOffset + stride * height}`);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (rawHeight > 0 ? height - 1 - y : y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const at = row + x * bytesPer;
      if (bpp === 24) {
        out[o] = b[at + 2]!;
        out[o + 1] = b[at + 1]!;
        out[o + 2] = b[at]!;
      } else {
        const v = dv.getUint32(at, true);
        out[o] = (v >>> shifts[0]!) & 0xff;
        out[o + 1] = (v >>> shifts[1]!) & 0xff;
        out[o + 2] = (v >>> shifts[2]!) & 0xff;
      }
    }
  }
  return { width, height, channels: 3, data: out };
}

/** Decode one image file's bytes (PNG, JPEG or BMP, recognised from the header). `path` names it in errors. */
export function decodeImage(bytes: Uint8Array, path: string): DecodedImage {
  if (bytes.length === 0) throw new TsnasError(`image ${path} is empty (0 bytes)`);
  if (isPng(bytes)) {
    let png;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (e) {
      throw new TsnasError(`corrupt PNG ${path}: ${oneLine(e)}`);
    }
    const channels = png.color ? 3 : 1;
    return { width: png.width, height: png.height, channels, data: fromRgba(png.data, png.width, png.height, channels) };
  }
  if (isJpeg(bytes)) {
    const comps = jpegComponents(bytes);
    let img;
    try {
      img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false });
    } catch (e) {
      throw new TsnasError(`corrupt JPEG ${path}: ${oneLine(e)}`);
    }
    if (!img.width || !img.height || img.data.length < img.width * img.height * 4) throw new TsnasError(`corrupt JPEG ${path}: no image data`);
    const channels = comps === 1 ? 1 : 3;
    return { width: img.width, height: img.height, channels, data: fromRgba(img.data, img.width, img.height, channels) };
  }
  if (isBmp(bytes)) return decodeBmp(bytes, path);
  throw new TsnasError(`cannot decode ${path}: not a PNG, JPEG or BMP image (unrecognised header)`);
}

function oneLine(e: unknown): string {
  return String((e as Error)?.message ?? e)
    .split('\n')[0]!
    .trim();
}

// ---------------------------------------------------------------------------------------------
// Colour and resizing

/** ITU-R 601 luma of RGB bytes, rounded: 0.299 R + 0.587 G + 0.114 B. */
export function rgbToGray(rgb: Uint8Array): Uint8Array {
  const n = rgb.length / 3;
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) out[p] = Math.round(0.299 * rgb[p * 3]! + 0.587 * rgb[p * 3 + 1]! + 0.114 * rgb[p * 3 + 2]!);
  return out;
}

/** Gray bytes → RGB with the value in every channel. */
export function grayToRgb(gray: Uint8Array): Uint8Array {
  const out = new Uint8Array(gray.length * 3);
  for (let p = 0; p < gray.length; p++) out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = gray[p]!;
  return out;
}

/** Per output index along one axis: the source indices and their weights (summing to 1). */
interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}
const axisCache = new Map<string, AxisWeights>();

function axisWeights(src: number, dst: number): AxisWeights {
  const key = `${src}>${dst}`;
  const hit = axisCache.get(key);
  if (hit) return hit;
  const idx: number[] = [];
  const wts: number[] = [];
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const scale = src / dst;
  for (let o = 0; o < dst; o++) {
    start[o] = idx.length;
    if (src === dst) {
      idx.push(o);
      wts.push(1);
    } else if (src > dst) {
      // area average: source pixel i covers [i, i+1); output o covers [o*scale, (o+1)*scale)
      const a = o * scale;
      const b = (o + 1) * scale;
      for (let i = Math.floor(a); i < Math.min(src, Math.ceil(b)); i++) {
        const w = Math.min(b, i + 1) - Math.max(a, i);
        if (w > 1e-9) {
          idx.push(i);
          wts.push(w / scale);
        }
      }
    } else {
      // bilinear with half-pixel centres, clamped at the borders
      const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), src - 1);
      const i0 = Math.floor(x);
      const i1 = Math.min(i0 + 1, src - 1);
      const f = x - i0;
      idx.push(i0);
      wts.push(1 - f);
      if (f > 0 && i1 !== i0) {
        idx.push(i1);
        wts.push(f);
      }
    }
    count[o] = idx.length - start[o]!;
  }
  const w: AxisWeights = { start, count, index: Int32Array.from(idx), weight: Float32Array.from(wts) };
  axisCache.set(key, w);
  return w;
}

/**
 * Resize `channels`-interleaved bytes from w×h to dw×dh: an area average along a shrinking axis,
 * bilinear (half-pixel centres) along a growing one, a copy along an unchanged one.
 */
export function resizeBytes(src: Uint8Array, w: number, h: number, channels: number, dw: number, dh: number): Uint8Array {
  if (w === dw && h === dh) return src;
  const ax = axisWeights(w, dw);
  const ay = axisWeights(h, dh);
  // rows first: h × dw
  const tmp = new Float32Array(h * dw * channels);
  for (let y = 0; y < h; y++) {
    const row = y * w * channels;
    for (let ox = 0; ox < dw; ox++) {
      const s = ax.start[ox]!;
      const n = ax.count[ox]!;
      const t = (y * dw + ox) * channels;
      for (let k = 0; k < n; k++) {
        const wt = ax.weight[s + k]!;
        const at = row + ax.index[s + k]! * channels;
        for (let c = 0; c < channels; c++) tmp[t + c]! += wt * src[at + c]!;
      }
    }
  }
  const out = new Uint8Array(dh * dw * channels);
  const rowLen = dw * channels;
  for (let oy = 0; oy < dh; oy++) {
    const s = ay.start[oy]!;
    const n = ay.count[oy]!;
    const o = oy * rowLen;
    for (let j = 0; j < rowLen; j++) {
      let v = 0;
      for (let k = 0; k < n; k++) v += ay.weight[s + k]! * tmp[ay.index[s + k]! * rowLen + j]!;
      out[o + j] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cache

const CACHE_MAGIC = 'TSNASIF1';
const CACHE_VERSION = 1;

interface CacheHeader {
  version: number;
  key: string;
  n: number;
  size: number;
  channels: number;
  classNames: string[];
  decoder: string;
}

function cacheKey(files: readonly FileEntry[], size: number, color: ColorMode | undefined, classNames: readonly string[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: CACHE_VERSION, size, color: color ?? null, classNames }));
  for (const f of files) h.update(`\n${f.rel}\t${f.size}\t${f.mtimeMs}`);
  return h.digest('hex');
}

function writeCache(file: string, header: CacheHeader, labels: Int32Array, pixels: Uint8Array): boolean {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headLen = 8 + 4 + json.length;
  const pad = (4 - (headLen % 4)) % 4;
  const buf = Buffer.alloc(headLen + pad + labels.byteLength + pixels.byteLength);
  buf.write(CACHE_MAGIC, 0, 'latin1');
  buf.writeUInt32LE(json.length, 8);
  json.copy(buf, 12);
  let at = headLen + pad;
  for (let i = 0; i < labels.length; i++, at += 4) buf.writeInt32LE(labels[i]!, at);
  buf.set(pixels, at);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(tmp, buf);
    renameSync(tmp, file);
    return true;
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
}

/** The cached set, or undefined when the file is absent, belongs to another key, or does not parse. */
function readCache(file: string, key: string): { header: CacheHeader; labels: Int32Array; pixels: Uint8Array } | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  try {
    if (buf.length < 12 || buf.toString('latin1', 0, 8) !== CACHE_MAGIC) return undefined;
    const jsonLen = buf.readUInt32LE(8);
    if (12 + jsonLen > buf.length) return undefined;
    const header = JSON.parse(buf.toString('utf8', 12, 12 + jsonLen)) as CacheHeader;
    if (header.version !== CACHE_VERSION || header.key !== key) return undefined;
    const headLen = 12 + jsonLen;
    const at = headLen + ((4 - (headLen % 4)) % 4);
    const per = header.size * header.size * header.channels;
    if (buf.length !== at + header.n * 4 + header.n * per) return undefined;
    const labels = new Int32Array(header.n);
    for (let i = 0; i < header.n; i++) {
      const l = buf.readInt32LE(at + i * 4);
      if (l < 0 || l >= header.classNames.length) return undefined;
      labels[i] = l;
    }
    const pixels = new Uint8Array(buf.buffer, buf.byteOffset + at + header.n * 4, header.n * per);
    return { header, labels, pixels };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > 4096) throw new TsnasError(`image size must be an integer in [1, 4096], got ${size}`);
}

interface Prepared {
  dir: string;
  size: number;
  classNames: string[];
  files: FileEntry[];
  key: string;
  cacheFile?: string;
}

function prepare(dir: string, o: ImageFolderOptions): Prepared {
  const size = o.imageSize ?? IMAGE_FOLDER_DEFAULT_SIZE;
  checkSize(size);
  if (o.color !== undefined && o.color !== 'rgb' && o.color !== 'gray') throw new TsnasError(`color must be 'rgb' or 'gray', got ${JSON.stringify(o.color)}`);
  const { classNames, files } = listImageFolder(dir, o.classNames);
  const key = cacheKey(files, size, o.color, classNames);
  const cacheFile = o.cacheDir === false ? undefined : join(o.cacheDir ?? join(dir, IMAGE_FOLDER_CACHE_DIR), `${key}.bin`);
  return { dir, size, classNames, files, key, ...(cacheFile ? { cacheFile } : {}) };
}

/** Bring decoded images to one channel count: the requested one, or the folder's (which must agree). */
class ModeCheck {
  private first: { path: string; channels: number } | undefined;
  constructor(private readonly color: ColorMode | undefined) {}
  channels(img: DecodedImage, path: string): 1 | 3 {
    if (this.color) return this.color === 'gray' ? 1 : 3;
    if (!this.first) this.first = { path, channels: img.channels };
    else if (this.first.channels !== img.channels) {
      const [gray, colour] = img.channels === 1 ? [path, this.first.path] : [this.first.path, path];
      throw new TsnasError(`the folder mixes grayscale (${gray}) and colour (${colour}) images; pass --color rgb or --color gray`);
    }
    return img.channels;
  }
}

function toChannels(img: DecodedImage, channels: 1 | 3): Uint8Array {
  if (img.channels === channels) return img.data;
  return channels === 1 ? rgbToGray(img.data) : grayToRgb(img.data);
}

function finish(p: Prepared, o: ImageFolderOptions, raw: RawImageSet, info: ImageFolderLoadInfo): Dataset {
  o.onLoad?.(info);
  let ds = fromRaw(o.name ?? 'folder', raw);
  if (o.limit !== undefined) {
    if (!(Number.isInteger(o.limit) && o.limit > 0)) throw new TsnasError(`limit must be a positive integer, got ${o.limit}`);
    if (o.limit < ds.n) ds = splitTrainVal(ds, o.limit, o.seed ?? 0).val;
  }
  return ds;
}

function fromCache(p: Prepared, o: ImageFolderOptions): Dataset | undefined {
  if (!p.cacheFile) return undefined;
  const hit = readCache(p.cacheFile, p.key);
  if (!hit || hit.header.n !== p.files.length) return undefined;
  const h = hit.header;
  const raw: RawImageSet = {
    images: hit.pixels,
    labels: hit.labels,
    n: h.n,
    height: h.size,
    width: h.size,
    channels: h.channels,
    numClasses: p.classNames.length,
    classNames: p.classNames,
    files: [p.dir],
  };
  return finish(p, o, raw, { dir: p.dir, files: p.files.length, decoded: 0, fromCache: true, cacheFile: p.cacheFile, decoder: h.decoder, channels: h.channels });
}

function assemble(p: Prepared, o: ImageFolderOptions, images: Uint8Array[], channels: number, decoder: string): Dataset {
  const per = p.size * p.size * channels;
  const pixels = new Uint8Array(images.length * per);
  images.forEach((img, i) => pixels.set(img, i * per));
  const labels = Int32Array.from(p.files, (f) => f.label);
  let cacheFile: string | undefined;
  if (p.cacheFile) {
    const header: CacheHeader = { version: CACHE_VERSION, key: p.key, n: images.length, size: p.size, channels, classNames: p.classNames, decoder };
    if (writeCache(p.cacheFile, header, labels, pixels)) cacheFile = p.cacheFile;
  }
  const raw: RawImageSet = { images: pixels, labels, n: images.length, height: p.size, width: p.size, channels, numClasses: p.classNames.length, classNames: p.classNames, files: [p.dir] };
  return finish(p, o, raw, { dir: p.dir, files: p.files.length, decoded: images.length, fromCache: false, ...(cacheFile ? { cacheFile } : {}), decoder, channels });
}

function readImageFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TsnasError(`cannot read image ${path}: ${(e as NodeJS.ErrnoException).code ?? oneLine(e)}`);
  }
}

/** Load an image folder (see the module comment) with the pure-JS decoders, through the cache. */
export function loadImageFolder(dir: string, o: ImageFolderOptions = {}): Dataset {
  const p = prepare(dir, o);
  const cached = fromCache(p, o);
  if (cached) return cached;
  const mode = new ModeCheck(o.color);
  const images: Uint8Array[] = [];
  let channels: 1 | 3 = 3;
  for (const f of p.files) {
    const img = decodeImage(readImageFile(f.path), f.path);
    channels = mode.channels(img, f.path);
    images.push(resizeBytes(toChannels(img, channels), img.width, img.height, channels, p.size, p.size));
  }
  return assemble(p, o, images, channels, 'pngjs/jpeg-js/bmp');
}

// sharp's API, as far as it is used here (sharp is optional and has no types installed).
interface SharpLike {
  (input: Buffer): {
    metadata(): Promise<{ channels?: number; space?: string }>;
    removeAlpha(): SharpInstance;
  };
}
interface SharpInstance {
  toColourspace(space: string): SharpInstance;
  resize(w: number, h: number, o: { fit: string }): SharpInstance;
  raw(): SharpInstance;
  toBuffer(o: { resolveWithObject: true }): Promise<{ data: Buffer; info: { channels: number } }>;
}

async function importSharp(): Promise<SharpLike | undefined> {
  try {
    const name = 'sharp';
    const mod = (await import(name)) as { default?: SharpLike };
    return mod.default;
  } catch {
    return undefined;
  }
}

/**
 * loadImageFolder with sharp as the decoder and resizer when it is installed (its own resampling,
 * so pixels differ slightly from the pure-JS path), else exactly loadImageFolder.
 */
export async function loadImageFolderAsync(dir: string, o: ImageFolderOptions = {}): Promise<Dataset> {
  const sharp = await importSharp();
  if (!sharp) return loadImageFolder(dir, o);
  const p = prepare(dir, o);
  const cached = fromCache(p, o);
  if (cached) return cached;
  const mode = new ModeCheck(o.color);
  const images: Uint8Array[] = [];
  let channels: 1 | 3 = 3;
  for (const f of p.files) {
    const bytes = readImageFile(f.path);
    if (bytes.length === 0) throw new TsnasError(`image ${f.path} is empty (0 bytes)`);
    try {
      const s = sharp(Buffer.from(bytes));
      const meta = await s.metadata();
      const own: 1 | 3 = meta.space === 'b-w' || meta.channels === 1 || meta.channels === 2 ? 1 : 3;
      channels = mode.channels({ width: 0, height: 0, channels: own, data: new Uint8Array(0) }, f.path);
      const { data } = await s
        .removeAlpha()
        .toColourspace(channels === 1 ? 'b-w' : 'srgb')
        .resize(p.size, p.size, { fit: 'fill' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      images.push(new Uint8Array(data));
    } catch (e) {
      if (e instanceof TsnasError) throw e;
      throw new TsnasError(`corrupt image ${f.path}: ${oneLine(e)}`);
    }
  }
  return assemble(p, o, images, channels, 'sharp');
}

// ---------------------------------------------------------------------------------------------
// As a named dataset

/** The options of `loadDataset('folder', ...)`; each is a CLI flag (--test-dir, --val-split, --image-size, --color, --class-names). */
export interface FolderDatasetOptions {
  /** A separate folder of test images with the same class folders. */
  testDir?: string;
  /** Hold out a seeded, stratified part of the folder (a fraction in (0, 1) or a count): the test split, removed from the train split. */
  valSplit?: number;
  imageSize?: number;
  color?: ColorMode;
  /** The class order, as names or one comma-separated string. */
  classNames?: string | readonly string[];
  cacheDir?: string | false;
  onLoad?: (info: ImageFolderLoadInfo) => void;
}

/**
 * The `split` of an image folder: 'train' is `dir` (less the held-out part when valSplit is set);
 * 'test' is `testDir` when given (its class folders must match), else the held-out part. The split
 * seed is `seed` (default 0); `limit` keeps a seeded, stratified part of the split.
 */
export function loadFolderDataset(dir: string | undefined, split: Split, f: FolderDatasetOptions = {}, limit?: number, seed = 0): Dataset {
  if (!dir) throw new TsnasError('the folder dataset needs --data-dir DIR (a folder with one sub-folder of images per class)');
  const common = { imageSize: f.imageSize, color: f.color, cacheDir: f.cacheDir, onLoad: f.onLoad, name: `folder:${basename(dir)}` };
  const classNames = f.classNames !== undefined ? parseClassNames(f.classNames) : undefined;
  const cut = (ds: Dataset): Dataset => (limit !== undefined && limit < ds.n ? splitTrainVal(ds, limit, seed).val : ds);
  if (split === 'test' && f.testDir) {
    const trainClasses = classNames ?? listImageFolder(dir).classNames;
    return cut(loadImageFolder(f.testDir, { ...common, classNames: trainClasses }));
  }
  const all = loadImageFolder(dir, { ...common, ...(classNames ? { classNames } : {}) });
  if (f.valSplit === undefined) {
    if (split === 'test') throw new TsnasError(`the folder dataset ${dir} has no test split: give --test-dir DIR or --val-split FRACTION`);
    return cut(all);
  }
  const parts = splitTrainVal(all, f.valSplit, seed);
  return cut(split === 'train' ? parts.train : parts.val);
}

/**
 * The input shape and class count of the network a folder trains (what its deployed model takes):
 * the class folders, and the colour of `color` or else of the first image, at `imageSize`. Decodes
 * one image, so a search can size its networks without loading the folder.
 */
export function imageFolderInput(dir: string, f: Pick<FolderDatasetOptions, 'imageSize' | 'color' | 'classNames'> = {}): { inputShape: [number, number, number]; numClasses: number } {
  const { classNames, files } = listImageFolder(dir, f.classNames !== undefined ? parseClassNames(f.classNames) : undefined);
  const first = files[0]!.path;
  const channels = f.color ? (f.color === 'gray' ? 1 : 3) : decodeImage(readFileSync(first), first).channels;
  const size = f.imageSize ?? IMAGE_FOLDER_DEFAULT_SIZE;
  return { inputShape: [size, size, channels], numClasses: classNames.length };
}

/** The folder flags as parsed by the CLI (or given in a strategy's options). */
export interface FolderFlags {
  testDir?: string;
  valSplit?: number;
  imageSize?: number;
  color?: string;
  classNames?: string;
}

/** `loadDataset`'s `folder` options from the flags --test-dir, --val-split, --image-size, --color, --class-names. */
export function folderOptionsFrom(o: FolderFlags): FolderDatasetOptions {
  if (o.color !== undefined && o.color !== 'rgb' && o.color !== 'gray') throw new TsnasError(`--color must be rgb or gray, got ${JSON.stringify(o.color)}`);
  return {
    ...(o.testDir !== undefined ? { testDir: o.testDir } : {}),
    ...(o.valSplit !== undefined ? { valSplit: o.valSplit } : {}),
    ...(o.imageSize !== undefined ? { imageSize: o.imageSize } : {}),
    ...(o.color !== undefined ? { color: o.color } : {}),
    ...(o.classNames !== undefined ? { classNames: o.classNames } : {}),
  };
}
