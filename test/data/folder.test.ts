import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { TsnasError } from '../../src/util/errors.js';
import { classCounts, decodeBmp, imageFolderInput, loadDataset, loadImageFolder, readCifar10, resizeBytes, rgbToGray, type ImageFolderLoadInfo } from '../../src/data/index.js';
import { CIFAR10_DIR } from '../helpers/data-paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsnas-folder-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let dirCount = 0;
function freshDir(): string {
  const d = join(tmp, `d${dirCount++}`);
  mkdirSync(d, { recursive: true });
  return d;
}

/** RGB bytes (32×32×3) of `count` source images: CIFAR-10 when the shared subset is there, else a seeded pattern. */
function sourceImages(count: number): Uint8Array[] {
  if (existsSync(CIFAR10_DIR)) {
    try {
      const raw = readCifar10(CIFAR10_DIR, 'train', count);
      return Array.from({ length: raw.n }, (_, i) => raw.images.slice(i * 3072, (i + 1) * 3072));
    } catch {
      // fall through to synthetic images
    }
  }
  return Array.from({ length: count }, (_, i) => Uint8Array.from({ length: 3072 }, (_, j) => (i * 37 + j * 11 + ((j * j) % 7)) % 256));
}

function pngBytes(rgb: Uint8Array, w: number, h: number, gray = false): Buffer {
  const png = new PNG({ width: w, height: h });
  const ch = gray ? 1 : 3;
  for (let p = 0; p < w * h; p++) {
    png.data[p * 4] = rgb[p * ch]!;
    png.data[p * 4 + 1] = rgb[p * ch + (gray ? 0 : 1)]!;
    png.data[p * 4 + 2] = rgb[p * ch + (gray ? 0 : 2)]!;
    png.data[p * 4 + 3] = 255;
  }
  return PNG.sync.write(png, gray ? { colorType: 0 } : { colorType: 2 });
}

function jpegBytes(rgb: Uint8Array, w: number, h: number): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let p = 0; p < w * h; p++) {
    data[p * 4] = rgb[p * 3]!;
    data[p * 4 + 1] = rgb[p * 3 + 1]!;
    data[p * 4 + 2] = rgb[p * 3 + 2]!;
    data[p * 4 + 3] = 255;
  }
  return jpeg.encode({ data, width: w, height: h }, 95).data;
}

function bmpBytes(rgb: Uint8Array, w: number, h: number): Buffer {
  const stride = Math.ceil((w * 3) / 4) * 4;
  const b = Buffer.alloc(54 + stride * h);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22); // bottom-up
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = 54 + (h - 1 - y) * stride + x * 3;
      const i = (y * w + x) * 3;
      b[o] = rgb[i + 2]!;
      b[o + 1] = rgb[i + 1]!;
      b[o + 2] = rgb[i]!;
    }
  }
  return b;
}

const CLASSES = ['cat', 'dog', 'airplane']; // written in this order; loaded sorted: airplane, cat, dog
const PER_CLASS = 10;
const SRC = sourceImages(CLASSES.length * PER_CLASS);

/** 3 classes × 10 images: PNG for even i, JPEG for odd i, plus hidden files to skip. Returns the dir. */
function makeFolder(): string {
  const dir = freshDir();
  CLASSES.forEach((cls, c) => {
    mkdirSync(join(dir, cls));
    for (let i = 0; i < PER_CLASS; i++) {
      const img = SRC[c * PER_CLASS + i]!;
      writeFileSync(join(dir, cls, `img${String(i).padStart(2, '0')}.${i % 2 ? 'jpg' : 'png'}`), i % 2 ? jpegBytes(img, 32, 32) : pngBytes(img, 32, 32));
    }
    writeFileSync(join(dir, cls, '.DS_Store'), 'junk');
  });
  mkdirSync(join(dir, 'dog', '.hidden'));
  writeFileSync(join(dir, 'dog', '.hidden', 'x.txt'), 'junk');
  writeFileSync(join(dir, '.DS_Store'), 'junk');
  return dir;
}

function load(dir: string, o: Parameters<typeof loadImageFolder>[1] = {}): { ds: ReturnType<typeof loadImageFolder>; info: ImageFolderLoadInfo } {
  let info: ImageFolderLoadInfo | undefined;
  const ds = loadImageFolder(dir, { ...o, onLoad: (i) => (info = i) });
  return { ds, info: info! };
}

/** The bytes of image i of a dataset (values back to 0..255). */
function bytesOf(ds: ReturnType<typeof loadImageFolder>, i: number): number[] {
  const per = ds.height * ds.width * ds.channels;
  return Array.from(ds.images.subarray(i * per, (i + 1) * per), (v) => Math.round(v * 255));
}

test('folder: classes sorted, labels, exact PNG pixels, JPEG close, hidden files skipped', () => {
  const dir = makeFolder();
  const { ds, info } = load(dir, { cacheDir: false });
  assert.deepEqual(ds.classNames, ['airplane', 'cat', 'dog']);
  assert.equal(ds.n, 30);
  assert.equal(ds.numClasses, 3);
  assert.deepEqual([ds.height, ds.width, ds.channels], [32, 32, 3]);
  assert.deepEqual(classCounts(ds), [10, 10, 10]);
  // files in class order then name order: airplane (written as class 2) first
  assert.deepEqual(Array.from(ds.labels.subarray(0, 10)), new Array(10).fill(0));
  assert.equal(info.decoded, 30);
  assert.equal(info.fromCache, false);
  // image 0 of 'airplane' is airplane/img00.png = SRC[2*10+0]
  assert.deepEqual(bytesOf(ds, 0), Array.from(SRC[20]!));
  // image 1 is a JPEG (quality 95): close to the source
  const j = bytesOf(ds, 1);
  const src = SRC[21]!;
  const mae = j.reduce((s, v, k) => s + Math.abs(v - src[k]!), 0) / j.length;
  assert.ok(mae < 4, `JPEG mean abs error ${mae}`);
});

test('folder: --class-names fixes the order and must name exactly the folders', () => {
  const dir = makeFolder();
  const { ds } = load(dir, { cacheDir: false, classNames: ['dog', 'cat', 'airplane'] });
  assert.deepEqual(ds.classNames, ['dog', 'cat', 'airplane']);
  assert.deepEqual(bytesOf(ds, 20), Array.from(SRC[20]!)); // airplane is label 2 now, images 20..29
  assert.equal(ds.labels[20], 2);
  assert.throws(
    () => loadImageFolder(dir, { cacheDir: false, classNames: ['dog', 'cat'] }),
    (e: Error) => e instanceof TsnasError && e.message.includes(join(dir, 'airplane')),
  );
  assert.throws(
    () => loadImageFolder(dir, { cacheDir: false, classNames: ['dog', 'cat', 'airplane', 'bird'] }),
    (e: Error) => e instanceof TsnasError && e.message.includes(join(dir, 'bird')),
  );
});

test('imageFolderInput: the input shape and class count a folder trains, from one decoded image, writing nothing', () => {
  const dir = makeFolder();
  assert.deepEqual(imageFolderInput(dir), { inputShape: [32, 32, 3], numClasses: 3 });
  assert.deepEqual(imageFolderInput(dir, { imageSize: 16, color: 'gray', classNames: 'dog,cat,airplane' }), { inputShape: [16, 16, 1], numClasses: 3 });
  const gray = freshDir();
  for (const cls of ['a', 'b']) {
    mkdirSync(join(gray, cls));
    writeFileSync(join(gray, cls, 'x.png'), pngBytes(rgbToGray(SRC[0]!), 32, 32, true));
  }
  assert.deepEqual(imageFolderInput(gray, { imageSize: 8 }), { inputShape: [8, 8, 1], numClasses: 2 });
  assert.equal(existsSync(join(dir, '.tsnas-cache')), false);
  mkdirSync(join(gray, 'empty'));
  assert.throws(() => imageFolderInput(gray), /class folder .*empty has no images/);
});

test('resize: area average down, bilinear up, copy at the same size', () => {
  // 2×2 RGB block → 1×1 is the mean
  const block = Uint8Array.from([10, 20, 30, 20, 40, 60, 30, 60, 90, 40, 80, 121]);
  assert.deepEqual(Array.from(resizeBytes(block, 2, 2, 3, 1, 1)), [25, 50, 75]);
  // 4×1 gray → 2×1: pairs averaged; 3×1 → 2×1: fractional overlaps (weights 2/3, 1/3)
  assert.deepEqual(Array.from(resizeBytes(Uint8Array.from([0, 100, 200, 50]), 4, 1, 1, 2, 1)), [50, 125]);
  assert.deepEqual(Array.from(resizeBytes(Uint8Array.from([0, 90, 180]), 3, 1, 1, 2, 1)), [30, 150]);
  // 2×1 → 4×1 bilinear with half-pixel centres: 0, 25, 75, 100
  assert.deepEqual(Array.from(resizeBytes(Uint8Array.from([0, 100]), 2, 1, 1, 4, 1)), [0, 25, 75, 100]);
  const same = Uint8Array.from([1, 2, 3, 4]);
  assert.equal(resizeBytes(same, 2, 2, 1, 2, 2), same);
  // a folder at --image-size 16: each output pixel is the mean of a 2×2 block
  const dir = makeFolder();
  const { ds } = load(dir, { cacheDir: false, imageSize: 16 });
  assert.deepEqual([ds.height, ds.width], [16, 16]);
  const s = SRC[20]!;
  const expect0 = Math.round((s[0]! + s[3]! + s[96]! + s[99]!) / 4);
  assert.equal(bytesOf(ds, 0)[0], expect0);
});

test('colour: gray is ITU-R 601 luma, rgb replicates gray, mixed modes need --color', () => {
  assert.deepEqual(Array.from(rgbToGray(Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 30]))), [76, 150, 29, Math.round(0.299 * 10 + 0.587 * 200 + 0.114 * 30)]);
  const dir = freshDir();
  for (const c of ['a', 'b']) mkdirSync(join(dir, c));
  const rgb = SRC[0]!;
  writeFileSync(join(dir, 'a', 'x.png'), pngBytes(rgb, 32, 32));
  const gray = rgbToGray(rgb);
  writeFileSync(join(dir, 'b', 'y.png'), pngBytes(gray, 32, 32, true));
  assert.throws(
    () => loadImageFolder(dir, { cacheDir: false }),
    (e: Error) => e instanceof TsnasError && !e.message.includes('\n') && e.message.includes(join(dir, 'a', 'x.png')) && e.message.includes(join(dir, 'b', 'y.png')) && e.message.includes('--color'),
  );
  const g = load(dir, { cacheDir: false, color: 'gray' }).ds;
  assert.equal(g.channels, 1);
  assert.deepEqual(bytesOf(g, 0), Array.from(gray));
  assert.deepEqual(bytesOf(g, 1), Array.from(gray));
  const c = load(dir, { cacheDir: false, color: 'rgb' }).ds;
  assert.equal(c.channels, 3);
  assert.deepEqual(bytesOf(c, 0), Array.from(rgb));
  assert.deepEqual(
    bytesOf(c, 1),
    Array.from(gray).flatMap((v) => [v, v, v]),
  );
  // an all-gray folder stays 1 channel without --color
  rmSync(join(dir, 'a', 'x.png'));
  writeFileSync(join(dir, 'a', 'x.png'), pngBytes(gray, 32, 32, true));
  assert.equal(load(dir, { cacheDir: false }).ds.channels, 1);
});

test('BMP: 24-bit bottom-up reads back exactly', () => {
  const rgb = SRC[3]!;
  const img = decodeBmp(bmpBytes(rgb, 32, 32), 'x.bmp');
  assert.deepEqual([img.width, img.height, img.channels], [32, 32, 3]);
  assert.deepEqual(Array.from(img.data), Array.from(rgb));
  const dir = freshDir();
  mkdirSync(join(dir, 'a'));
  writeFileSync(join(dir, 'a', 'x.bmp'), bmpBytes(rgb, 32, 32));
  assert.deepEqual(bytesOf(load(dir, { cacheDir: false }).ds, 0), Array.from(rgb));
});

test('split: --val-split is seeded and stratified; test folder; limit', () => {
  const dir = makeFolder();
  const f = { valSplit: 0.2, cacheDir: false as const };
  const train = loadDataset('folder', { dataDir: dir, split: 'train', seed: 3, folder: f });
  const val = loadDataset('folder', { dataDir: dir, split: 'test', seed: 3, folder: f });
  assert.equal(train.n, 24);
  assert.equal(val.n, 6);
  assert.deepEqual(classCounts(val), [2, 2, 2]);
  assert.deepEqual(classCounts(train), [8, 8, 8]);
  const again = loadDataset('folder', { dataDir: dir, split: 'test', seed: 3, folder: f });
  assert.deepEqual(Array.from(again.images), Array.from(val.images));
  const other = loadDataset('folder', { dataDir: dir, split: 'test', seed: 4, folder: f });
  assert.notDeepEqual(Array.from(other.images), Array.from(val.images));
  // a separate test folder takes the training folder's classes
  const testDir = makeFolder();
  rmSync(join(testDir, 'cat', 'img00.png'));
  const test2 = loadDataset('folder', { dataDir: dir, split: 'test', folder: { testDir, cacheDir: false } });
  assert.equal(test2.n, 29);
  assert.deepEqual(test2.classNames, ['airplane', 'cat', 'dog']);
  assert.throws(() => loadDataset('folder', { dataDir: dir, split: 'test', folder: { cacheDir: false } }), /no test split.*--test-dir/);
  assert.throws(() => loadDataset('folder', { split: 'train' }), /--data-dir/);
  const lim = loadDataset('folder', { dataDir: dir, split: 'train', limit: 9, folder: { cacheDir: false } });
  assert.deepEqual(classCounts(lim), [3, 3, 3]);
});

test('cache: the second load reads it, a changed mtime or a corrupt file rebuilds it', () => {
  const dir = makeFolder();
  const first = load(dir);
  assert.equal(first.info.fromCache, false);
  assert.ok(first.info.cacheFile && existsSync(first.info.cacheFile));
  assert.ok(first.info.cacheFile.startsWith(join(dir, '.tsnas-cache')));
  const second = load(dir);
  assert.equal(second.info.fromCache, true);
  assert.equal(second.info.decoded, 0);
  assert.deepEqual(Array.from(second.ds.images), Array.from(first.ds.images));
  assert.deepEqual(second.ds.classNames, first.ds.classNames);
  // another size or colour is another entry
  assert.equal(load(dir, { imageSize: 16 }).info.fromCache, false);
  assert.equal(load(dir, { imageSize: 16 }).info.fromCache, true);
  // touching one file invalidates
  utimesSync(join(dir, 'cat', 'img03.jpg'), new Date(), new Date(Date.now() + 5000));
  const third = load(dir);
  assert.equal(third.info.fromCache, false);
  assert.equal(third.info.decoded, 30);
  assert.notEqual(third.info.cacheFile, first.info.cacheFile);
  // a corrupt cache file is ignored and rewritten
  writeFileSync(third.info.cacheFile!, 'garbage');
  const fourth = load(dir);
  assert.equal(fourth.info.fromCache, false);
  assert.equal(load(dir).info.fromCache, true);
  // nothing but cache entries, no temporary files left behind
  assert.ok(readdirSync(join(dir, '.tsnas-cache')).every((f) => /^[0-9a-f]{64}\.bin$/.test(f)));
});

/** A one-line TsnasError naming `path`, and nothing written to the cache. */
function assertBad(dir: string, path: string, re: RegExp, o: Parameters<typeof loadImageFolder>[1] = {}): void {
  assert.throws(
    () => loadImageFolder(dir, o),
    (e: Error) => {
      assert.ok(e instanceof TsnasError, `${e.name}: ${e.message}`);
      assert.ok(!e.message.includes('\n'), e.message);
      assert.ok(e.message.includes(path), `${e.message} does not name ${path}`);
      assert.match(e.message, re);
      return true;
    },
  );
  assert.equal(existsSync(join(dir, '.tsnas-cache')), false, 'nothing stored');
}

test('bad input: one-line errors naming the path, nothing stored', () => {
  let dir = makeFolder();
  mkdirSync(join(dir, 'empty'));
  assertBad(dir, join(dir, 'empty'), /no images/);

  dir = makeFolder();
  const good = jpegBytes(SRC[0]!, 32, 32);
  const corrupt = Buffer.concat([good.subarray(0, 200), Buffer.alloc(50, 0x55)]);
  writeFileSync(join(dir, 'cat', 'bad.jpg'), corrupt);
  assertBad(dir, join(dir, 'cat', 'bad.jpg'), /corrupt JPEG/);

  dir = makeFolder();
  writeFileSync(join(dir, 'dog', 'zero.png'), Buffer.alloc(0));
  assertBad(dir, join(dir, 'dog', 'zero.png'), /empty \(0 bytes\)/);

  dir = makeFolder();
  const png = pngBytes(SRC[0]!, 32, 32);
  writeFileSync(join(dir, 'dog', 'trunc.png'), png.subarray(0, png.length - 40));
  assertBad(dir, join(dir, 'dog', 'trunc.png'), /corrupt PNG/);

  dir = makeFolder();
  writeFileSync(join(dir, 'dog', 'notes.txt'), 'hello');
  assertBad(dir, join(dir, 'dog', 'notes.txt'), /extension must be one of \.png, \.jpg, \.jpeg, \.bmp/);

  dir = makeFolder();
  writeFileSync(join(dir, 'dog', 'fake.png'), 'not an image at all');
  assertBad(dir, join(dir, 'dog', 'fake.png'), /not a PNG, JPEG or BMP/);

  dir = makeFolder();
  writeFileSync(join(dir, 'dog', 'gray.png'), pngBytes(rgbToGray(SRC[0]!), 32, 32, true));
  assertBad(dir, join(dir, 'dog', 'gray.png'), /mixes grayscale .* and colour .*--color/);

  dir = freshDir();
  writeFileSync(join(dir, 'loose.png'), pngBytes(SRC[0]!, 32, 32));
  assertBad(dir, dir, /no class folders/);

  assertBad(join(tmp, 'missing'), join(tmp, 'missing'), /cannot read .*ENOENT/);
});
