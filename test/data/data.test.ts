import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TsnasError } from '../../src/util/errors.js';
import {
  classCounts,
  downsample,
  findCifar10Files,
  findFashionMnistFiles,
  loadDataset,
  makeDataset,
  makeSynthetic,
  readCifar10,
  readCifar10File,
  readFashionMnist,
  readIdxImages,
  readIdxLabels,
  readIdxPair,
  splitTrainVal,
  subset,
  toChannels,
  withStats,
  type Dataset,
} from '../../src/data/index.js';
import { CIFAR10_DIR, FASHION_MNIST_DIR } from '../helpers/data-paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsnas-data-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let dirCount = 0;
function freshDir(): string {
  const d = join(tmp, `d${dirCount++}`);
  mkdirSync(d, { recursive: true });
  return d;
}

/** n CIFAR records: label i % 10, pixel byte of (record i, channel c, position p) = (i*7 + c*50 + p) % 256. */
function cifarBytes(n: number, labelOf: (i: number) => number = (i) => i % 10): Buffer {
  const buf = Buffer.alloc(n * 3073);
  for (let i = 0; i < n; i++) {
    buf[i * 3073] = labelOf(i);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) buf[i * 3073 + 1 + c * 1024 + p] = (i * 7 + c * 50 + p) % 256;
  }
  return buf;
}

function idxBytes(dims: number[], data: Uint8Array, type = 0x08, magicHi = 0): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[0] = magicHi;
  head[1] = 0;
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

/** n images of h×w with byte (i, y, x) = (i*31 + y*w + x) % 256, labels (i*3) % 10. */
function idxPair(n: number, h: number, w: number): { images: Buffer; labels: Buffer } {
  const img = new Uint8Array(n * h * w);
  for (let i = 0; i < img.length; i++) img[i] = (Math.floor(i / (h * w)) * 31 + (i % (h * w))) % 256;
  const lab = Uint8Array.from({ length: n }, (_, i) => (i * 3) % 10);
  return { images: idxBytes([n, h, w], img), labels: idxBytes([n], lab) };
}

function throwsNaming(fn: () => unknown, file: string, what: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TsnasError, `expected TsnasError, got ${String(e)}`);
    assert.ok(e.message.includes(file), `message should name ${file}: ${e.message}`);
    assert.match(e.message, what);
    return true;
  });
}

function checkCifar(ds: { images: Uint8Array; labels: Int32Array; n: number }, n: number): void {
  assert.equal(ds.n, n);
  for (let i = 0; i < n; i++) {
    assert.equal(ds.labels[i], i % 10);
    for (const p of [0, 1, 33, 1023]) {
      for (let c = 0; c < 3; c++) assert.equal(ds.images[(i * 1024 + p) * 3 + c], (i * 7 + c * 50 + p) % 256, `record ${i} pixel ${p} ch ${c}`);
    }
  }
}

test('CIFAR-10: round trip, plain and gzipped (detected by magic, not by name)', () => {
  const d = freshDir();
  const raw = cifarBytes(12);
  writeFileSync(join(d, 'plain.bin'), raw);
  writeFileSync(join(d, 'zipped.bin.gz'), gzipSync(raw));
  writeFileSync(join(d, 'zipped-no-suffix.bin'), gzipSync(raw));
  writeFileSync(join(d, 'plain-with-suffix.bin.gz'), raw);
  for (const f of ['plain.bin', 'zipped.bin.gz', 'zipped-no-suffix.bin', 'plain-with-suffix.bin.gz']) {
    const ds = readCifar10File(join(d, f));
    assert.deepEqual([ds.height, ds.width, ds.channels, ds.numClasses], [32, 32, 3, 10]);
    checkCifar(ds, 12);
  }
  assert.equal(readCifar10File(join(d, 'plain.bin'), 5).n, 5);
});

test('CIFAR-10: finds shared and official file names, concatenates batches', () => {
  const shared = freshDir();
  writeFileSync(join(shared, 'train_10k.bin.gz'), gzipSync(cifarBytes(20)));
  writeFileSync(join(shared, 'test_2k.bin'), cifarBytes(10));
  assert.deepEqual(findCifar10Files(shared, 'train'), [join(shared, 'train_10k.bin.gz')]);
  assert.deepEqual(findCifar10Files(shared, 'test'), [join(shared, 'test_2k.bin')]);

  const parent = freshDir();
  const official = join(parent, 'cifar-10-batches-bin');
  mkdirSync(official);
  writeFileSync(join(official, 'data_batch_1.bin'), cifarBytes(10));
  writeFileSync(join(official, 'data_batch_2.bin.gz'), gzipSync(cifarBytes(10, (i) => 9 - (i % 10))));
  writeFileSync(join(official, 'test_batch.bin'), cifarBytes(3));
  const train = readCifar10(parent, 'train');
  assert.equal(train.files.length, 2);
  assert.equal(train.n, 20);
  assert.deepEqual([...train.labels.subarray(8, 12)], [8, 9, 9, 8]);
  assert.equal(readCifar10(parent, 'train', 13).n, 13);
  assert.equal(readCifar10(official, 'test').n, 3);
  const ds = loadDataset('cifar10', { dataDir: parent, split: 'test' });
  assert.equal(ds.n, 3);
  assert.ok(Math.abs(ds.images[1]! - (0 + 50 + 0) / 255) < 1e-7); // record 0, pixel 0, green
});

test('CIFAR-10: corrupt or missing files give TsnasErrors naming the file', () => {
  const d = freshDir();
  const truncated = join(d, 'trunc.bin');
  writeFileSync(truncated, cifarBytes(3).subarray(0, 3 * 3073 - 100));
  throwsNaming(() => readCifar10File(truncated), truncated, /truncated.*not a multiple of the 3073-byte/);
  const truncatedGz = join(d, 'trunc.bin.gz');
  writeFileSync(truncatedGz, gzipSync(cifarBytes(3).subarray(0, 3073 + 1)));
  throwsNaming(() => readCifar10File(truncatedGz), truncatedGz, /truncated/);
  const brokenGz = join(d, 'broken.bin.gz');
  writeFileSync(brokenGz, gzipSync(cifarBytes(3)).subarray(0, 200));
  throwsNaming(() => readCifar10File(brokenGz), brokenGz, /could not be decompressed/);
  const badLabel = join(d, 'label.bin');
  writeFileSync(
    badLabel,
    cifarBytes(4, (i) => (i === 2 ? 10 : 0)),
  );
  throwsNaming(() => readCifar10File(badLabel), badLabel, /record 2 has label 10, outside 0\.\.9/);
  const empty = join(d, 'empty.bin');
  writeFileSync(empty, Buffer.alloc(0));
  throwsNaming(() => readCifar10File(empty), empty, /empty/);
  const missing = join(d, 'nope.bin');
  throwsNaming(() => readCifar10File(missing), missing, /not found/);
  const none = freshDir();
  throwsNaming(() => findCifar10Files(none, 'train'), none, /train_10k\.bin.*data_batch_1\.bin.*cifar-10-binary\.tar\.gz/s);
  const gone = join(tmp, 'does-not-exist');
  throwsNaming(() => loadDataset('cifar10', { dataDir: gone, split: 'train' }), gone, /directory not found.*cifar-10-binary/);
});

test('IDX: round trip of images and labels, plain and gzipped', () => {
  const d = freshDir();
  const { images, labels } = idxPair(7, 4, 5);
  writeFileSync(join(d, 'im'), images);
  writeFileSync(join(d, 'lb'), labels);
  writeFileSync(join(d, 'im.gz'), gzipSync(images));
  writeFileSync(join(d, 'lb.gz'), gzipSync(labels));
  for (const [im, lb] of [
    ['im', 'lb'],
    ['im.gz', 'lb.gz'],
    ['im', 'lb.gz'],
  ]) {
    const a = readIdxImages(join(d, im!));
    assert.deepEqual([a.n, a.height, a.width], [7, 4, 5]);
    assert.equal(a.data[2 * 20 + 7], (2 * 31 + 7) % 256);
    assert.deepEqual([...readIdxLabels(join(d, lb!))], [0, 3, 6, 9, 2, 5, 8]);
    const pair = readIdxPair(join(d, im!), join(d, lb!), 10, 4);
    assert.deepEqual([pair.n, pair.height, pair.width, pair.channels, pair.images.length], [4, 4, 5, 1, 80]);
  }
  // Fashion-MNIST finder: official names, gzipped or not.
  const fm = freshDir();
  writeFileSync(join(fm, 'train-images-idx3-ubyte.gz'), gzipSync(images));
  writeFileSync(join(fm, 'train-labels-idx1-ubyte.gz'), gzipSync(labels));
  writeFileSync(join(fm, 't10k-images-idx3-ubyte'), idxPair(3, 4, 5).images);
  writeFileSync(join(fm, 't10k-labels-idx1-ubyte'), idxPair(3, 4, 5).labels);
  assert.equal(readFashionMnist(fm, 'train').n, 7);
  const test = loadDataset('fashion-mnist', { dataDir: fm, split: 'test' });
  assert.deepEqual([test.name, test.n, test.height, test.width, test.channels, test.numClasses], ['fashion-mnist', 3, 4, 5, 1, 10]);
  assert.ok(Math.abs(test.images[31]! - ((31 + 11) % 256) / 255) < 1e-7);
});

test('IDX: corruption gives TsnasErrors naming the file and the problem', () => {
  const d = freshDir();
  const { images, labels } = idxPair(6, 3, 3);
  const put = (name: string, bytes: Uint8Array): string => {
    const p = join(d, name);
    writeFileSync(p, bytes);
    return p;
  };
  const goodIm = put('good-im', images);
  const goodLb = put('good-lb', labels);
  const badMagic = put('magic', idxBytes([6, 3, 3], images.subarray(16), 0x08, 0x1a));
  throwsNaming(() => readIdxImages(badMagic), badMagic, /wrong magic number/);
  const badType = put('type.gz', gzipSync(idxBytes([6, 3, 3], new Uint8Array(6 * 9 * 4), 0x0c)));
  throwsNaming(() => readIdxImages(badType), badType, /int32.*only unsigned byte/);
  throwsNaming(() => readIdxImages(goodLb), goodLb, /rank 1, expected 3/);
  throwsNaming(() => readIdxLabels(goodIm), goodIm, /rank 3, expected 1/);
  const truncated = put('trunc', images.subarray(0, images.length - 5));
  throwsNaming(() => readIdxImages(truncated), truncated, /truncated: dims \[6, 3, 3\] need 54 data bytes, found 49/);
  const header = put('header', images.subarray(0, 10));
  throwsNaming(() => readIdxImages(header), header, /truncated.*header/);
  const trailing = put('trailing', Buffer.concat([images, Buffer.alloc(3)]));
  throwsNaming(() => readIdxImages(trailing), trailing, /3 unexpected trailing bytes/);
  const fewLabels = put('few-lb.gz', gzipSync(idxBytes([5], new Uint8Array(5))));
  throwsNaming(() => readIdxPair(goodIm, fewLabels, 10), fewLabels, /count mismatch.*6 images.*5 labels/);
  const highLabel = put('high-lb', idxBytes([6], Uint8Array.from([0, 1, 2, 12, 4, 5])));
  throwsNaming(() => readIdxPair(goodIm, highLabel, 10), highLabel, /label 3 is 12, outside 0\.\.9/);
  const empty = put('empty', new Uint8Array(0));
  throwsNaming(() => readIdxImages(empty), empty, /empty/);
  const missing = join(d, 'missing-idx');
  throwsNaming(() => readIdxImages(missing), missing, /not found/);
  const fm = freshDir();
  writeFileSync(join(fm, 'train-images-idx3-ubyte.gz'), gzipSync(images));
  throwsNaming(() => findFashionMnistFiles(fm, 'train'), fm, /train-labels-idx1-ubyte.*apt-get install dataset-fashion-mnist/);
});

function cifarSkipReason(): string | false {
  const have = ['train_10k.bin', 'train_10k.bin.gz', 'test_2k.bin', 'test_2k.bin.gz'].some((f) => existsSync(join(CIFAR10_DIR, f)));
  return have ? false : `shared CIFAR-10 subset absent: no train_10k.bin(.gz)/test_2k.bin(.gz) in ${CIFAR10_DIR} (set TSNAS_SHARED_DATA)`;
}

function fashionSkipReason(): string | false {
  const have = ['train-images-idx3-ubyte', 'train-images-idx3-ubyte.gz'].some((f) => existsSync(join(FASHION_MNIST_DIR, f)));
  return have ? false : `Fashion-MNIST absent from ${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist, or set TSNAS_FASHION_MNIST_DIR)`;
}

function checkRange(ds: Dataset): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ds.images) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  assert.ok(lo >= 0 && hi <= 1 && hi > 0.9, `values in [0,1]: ${lo}..${hi}`);
}

test('real shared CIFAR-10 subset: 10,000 train / 2,000 test, balanced', { skip: cifarSkipReason() }, () => {
  const train = loadDataset('cifar10', { dataDir: CIFAR10_DIR, split: 'train' });
  const test = loadDataset('cifar10', { dataDir: CIFAR10_DIR, split: 'test' });
  assert.deepEqual([train.n, train.height, train.width, train.channels, train.numClasses], [10000, 32, 32, 3, 10]);
  assert.equal(test.n, 2000);
  assert.deepEqual(classCounts(train), new Array(10).fill(1000));
  assert.deepEqual(classCounts(test), new Array(10).fill(200));
  checkRange(train);
  // The well-known CIFAR-10 channel statistics, approximately.
  [0.491, 0.482, 0.447].forEach((m, c) => assert.ok(Math.abs(train.mean[c]! - m) < 0.02, `mean[${c}] = ${train.mean[c]}`));
  [0.247, 0.243, 0.261].forEach((s, c) => assert.ok(Math.abs(train.std[c]! - s) < 0.02, `std[${c}] = ${train.std[c]}`));
  assert.equal(loadDataset('cifar10', { dataDir: CIFAR10_DIR, split: 'test', limit: 100 }).n, 100);
});

test('real Fashion-MNIST: 60,000 train / 10,000 test', { skip: fashionSkipReason() }, () => {
  const train = loadDataset('fashion-mnist', { dataDir: FASHION_MNIST_DIR, split: 'train' });
  const test = loadDataset('fashion-mnist', { dataDir: FASHION_MNIST_DIR, split: 'test' });
  assert.deepEqual([train.n, train.height, train.width, train.channels, train.numClasses], [60000, 28, 28, 1, 10]);
  assert.equal(test.n, 10000);
  assert.deepEqual(classCounts(train), new Array(10).fill(6000));
  assert.deepEqual(classCounts(test), new Array(10).fill(1000));
  checkRange(test);
  assert.ok(Math.abs(train.mean[0]! - 0.286) < 0.01 && Math.abs(train.std[0]! - 0.353) < 0.01);
});

test('loadDataset: unknown names, bad options and missing directories are clear errors', () => {
  assert.throws(
    () => loadDataset('imagenet', { split: 'train' }),
    (e: unknown) => e instanceof TsnasError && /unknown dataset "imagenet".*cifar10, fashion-mnist, synthetic/.test(e.message),
  );
  assert.throws(() => loadDataset('synthetic', { split: 'val' as 'train' }), TsnasError);
  assert.throws(() => loadDataset('synthetic', { split: 'train', limit: 0 }), TsnasError);
  const gone = join(tmp, 'no-fashion');
  throwsNaming(() => loadDataset('fashion-mnist', { dataDir: gone, split: 'train' }), gone, /directory not found.*apt-get install dataset-fashion-mnist/);
});

test('synthetic: deterministic, balanced, configurable and learnable', () => {
  const a = makeSynthetic({ n: 300, height: 12, width: 10, channels: 2, numClasses: 6, seed: 3 });
  const b = makeSynthetic({ n: 300, height: 12, width: 10, channels: 2, numClasses: 6, seed: 3 });
  const c = makeSynthetic({ n: 300, height: 12, width: 10, channels: 2, numClasses: 6, seed: 4 });
  assert.deepEqual([a.n, a.height, a.width, a.channels, a.numClasses, a.images.length], [300, 12, 10, 2, 6, 300 * 240]);
  assert.deepEqual(a.images, b.images);
  assert.deepEqual(a.labels, b.labels);
  assert.notDeepEqual(a.images, c.images);
  assert.deepEqual(classCounts(a), new Array(6).fill(50));
  checkRange(a);
  // Learnable: nearest class mean, fitted on one seed, classifies another seed's draws well.
  const train = loadDataset('synthetic', { split: 'train', limit: 500, seed: 1 });
  const test = loadDataset('synthetic', { split: 'test', seed: 1 });
  assert.deepEqual([train.n, test.n, train.height, train.channels, train.numClasses], [500, 200, 16, 3, 10]);
  assert.notDeepEqual(train.images.subarray(0, 100), test.images.subarray(0, 100));
  const per = train.height * train.width * train.channels;
  const centroids = Array.from({ length: 10 }, () => new Float64Array(per));
  const counts = classCounts(train);
  for (let i = 0; i < train.n; i++) for (let p = 0; p < per; p++) centroids[train.labels[i]!]![p]! += train.images[i * per + p]! / counts[train.labels[i]!]!;
  let correct = 0;
  for (let i = 0; i < test.n; i++) {
    let best = -1;
    let bestD = Infinity;
    centroids.forEach((m, k) => {
      let dist = 0;
      for (let p = 0; p < per; p++) dist += (test.images[i * per + p]! - m[p]!) ** 2;
      if (dist < bestD) [bestD, best] = [dist, k];
    });
    if (best === test.labels[i]) correct++;
  }
  assert.ok(correct / test.n > 0.9, `nearest-centroid accuracy ${correct / test.n}`);
});

test('splitTrainVal: seeded, stratified, disjoint; subset keeps statistics', () => {
  const ds = makeSynthetic({ n: 230, height: 4, channels: 1, numClasses: 5, seed: 9 });
  const { train, val } = splitTrainVal(ds, 0.2, 7);
  assert.equal(val.n, 46);
  assert.equal(train.n, 184);
  // 46 images per class; 46 × 0.2 = 9.2 each: 9 per class plus one by largest remainder.
  assert.deepEqual(classCounts(ds), [46, 46, 46, 46, 46]);
  assert.deepEqual(classCounts(val), [10, 9, 9, 9, 9]);
  const uneven = makeDataset({
    name: 'u',
    images: new Float32Array(100),
    labels: Int32Array.from({ length: 100 }, (_, i) => (i < 70 ? 0 : 1)),
    n: 100,
    height: 1,
    width: 1,
    channels: 1,
    numClasses: 2,
  });
  assert.deepEqual(classCounts(splitTrainVal(uneven, 10, 3).val), [7, 3]);
  assert.deepEqual(train.mean, ds.mean);
  assert.deepEqual(val.std, ds.std);
  const again = splitTrainVal(ds, 0.2, 7);
  assert.deepEqual(again.val.images, val.images);
  assert.notDeepEqual(splitTrainVal(ds, 0.2, 8).val.images, val.images);
  // Disjoint and complete: every image lands in exactly one part (images are distinct).
  const per = 16;
  const key = (d: Dataset, i: number): string => d.images.subarray(i * per, (i + 1) * per).join(',');
  const seen = new Set<string>();
  for (const part of [train, val]) for (let i = 0; i < part.n; i++) seen.add(key(part, i));
  assert.equal(seen.size, 230);
  assert.equal(splitTrainVal(ds, 30, 1).val.n, 30);
  assert.throws(() => splitTrainVal(ds, 230, 1), TsnasError);
  assert.throws(() => splitTrainVal(ds, 1.5, 1), TsnasError);

  const s = subset(ds, [5, 0, 5]);
  assert.equal(s.n, 3);
  assert.equal(key(s, 0), key(ds, 5));
  assert.equal(key(s, 1), key(ds, 0));
  assert.deepEqual([...s.labels], [ds.labels[5], ds.labels[0], ds.labels[5]]);
  assert.throws(() => subset(ds, [230]), TsnasError);
  const w = withStats(s, { mean: [0.5], std: [0.25] });
  assert.deepEqual([w.mean, w.std], [[0.5], [0.25]]);
});

test('downsample averages blocks; toChannels replicates grey', () => {
  // One 4×4 two-channel image: channel 0 = y*4+x, channel 1 = 100 - that.
  const images = new Float32Array(32);
  for (let p = 0; p < 16; p++) [images[2 * p], images[2 * p + 1]] = [p / 100, (100 - p) / 100];
  const ds = makeDataset({ name: 't', images, labels: Int32Array.of(0), n: 1, height: 4, width: 4, channels: 2, numClasses: 1 });
  const half = downsample(ds, 2);
  assert.deepEqual([half.height, half.width, half.channels, half.images.length], [2, 2, 2, 8]);
  const expect0 = [(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, (8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4];
  expect0.forEach((v, i) => {
    assert.ok(Math.abs(half.images[2 * i]! - v / 100) < 1e-6);
    assert.ok(Math.abs(half.images[2 * i + 1]! - (100 - v) / 100) < 1e-6);
  });
  assert.ok(Math.abs(half.mean[0]! - ds.mean[0]!) < 1e-6 && half.std[0]! < ds.std[0]!);
  assert.equal(downsample(ds, 1), ds);
  assert.throws(() => downsample(ds, 3), TsnasError);

  const grey = makeSynthetic({ n: 4, height: 6, channels: 1, numClasses: 2 });
  const rgb = toChannels(grey, 3);
  assert.equal(rgb.channels, 3);
  for (let p = 0; p < grey.images.length; p++) for (let c = 0; c < 3; c++) assert.equal(rgb.images[p * 3 + c], grey.images[p]);
  assert.deepEqual(rgb.mean, [grey.mean[0], grey.mean[0], grey.mean[0]]);
  assert.equal(toChannels(rgb, 3), rgb);
  const back = toChannels(rgb, 1);
  assert.deepEqual(back.images, grey.images);
  assert.throws(() => toChannels(makeSynthetic({ n: 2, channels: 3, numClasses: 2 }), 2), TsnasError);
});
