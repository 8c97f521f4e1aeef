import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/util/rng.js';
import { TsnasError } from '../../src/util/errors.js';
import { applyAugment, batchArrays, Batcher, cutoutInPlace, drawAugment, fixedBatch, makeDataset, makeSynthetic, shiftFlipInto, withStats, type Batch, type Dataset } from '../../src/data/index.js';

/** 5×6 image, 2 channels: channel 0 = 1 + y*6 + x, channel 1 = -(that). Distinct and never 0. */
const H = 5;
const W = 6;
const C = 2;
function handImage(): Float32Array {
  const img = new Float32Array(H * W * C);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      img[(y * W + x) * C] = 1 + y * W + x;
      img[(y * W + x) * C + 1] = -(1 + y * W + x);
    }
  return img;
}
const at = (img: Float32Array, y: number, x: number, c = 0): number => img[(y * W + x) * C + c]!;

test('augment: flip mirrors each row', () => {
  const src = handImage();
  const dst = new Float32Array(src.length);
  shiftFlipInto(src, dst, H, W, C, 0, 0, true);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) assert.equal(at(dst, y, x, c), at(src, y, W - 1 - x, c));
  const twice = new Float32Array(src.length);
  shiftFlipInto(dst, twice, H, W, C, 0, 0, true);
  assert.deepEqual(twice, src);
});

test('augment: crop with zero padding shifts the image within the padding', () => {
  const src = handImage();
  const dst = new Float32Array(src.length);
  shiftFlipInto(src, dst, H, W, C, 1, -2, false);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const sy = y + 1;
      const sx = x - 2;
      const inside = sy < H && sx >= 0;
      assert.equal(at(dst, y, x), inside ? at(src, sy, sx) : 0, `(${y},${x})`);
    }
  // Random crops: every result is the image shifted by some (dy, dx) with |dy|, |dx| ≤ padding,
  // and over many draws every shift in range occurs.
  const pad = 2;
  const rng = new Rng(5);
  const seen = new Set<string>();
  for (let k = 0; k < 400; k++) {
    const draw = drawAugment({ cropPadding: pad }, H, W, rng);
    applyAugment(src, dst, H, W, C, draw, 0);
    // Recover the shift from the image: find where value v = 1 + sy*W + sx shows up.
    let found: [number, number] | undefined;
    for (let y = 0; y < H && !found; y++)
      for (let x = 0; x < W && !found; x++) {
        const v = at(dst, y, x);
        if (v !== 0) found = [Math.floor((v - 1) / W) - y, ((v - 1) % W) - x];
      }
    const [dy, dx] = found!;
    assert.deepEqual([dy, dx], [draw.dy, draw.dx]);
    assert.ok(Math.abs(dy) <= pad && Math.abs(dx) <= pad);
    const check = new Float32Array(src.length);
    shiftFlipInto(src, check, H, W, C, dy, dx, false);
    assert.deepEqual(dst, check);
    seen.add(`${dy},${dx}`);
  }
  assert.equal(seen.size, (2 * pad + 1) ** 2);
});

test('augment: cutout zeros a square (clipped at the border)', () => {
  const img = handImage();
  cutoutInPlace(img, H, W, C, 2, 3, 2);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const inSquare = y >= 1 && y < 3 && x >= 2 && x < 4;
      for (let c = 0; c < C; c++) assert.equal(at(img, y, x, c) === 0, inSquare, `(${y},${x},${c})`);
    }
  const corner = handImage();
  cutoutInPlace(corner, H, W, C, 0, 0, 3);
  let zeros = 0;
  for (const v of corner) if (v === 0) zeros++;
  assert.equal(zeros, 2 * 2 * C); // a 3×3 square centred on (0,0): rows 0..1, cols 0..1
});

function tinyDataset(): Dataset {
  const images = new Float32Array(3 * H * W * C);
  images.set(handImage(), 0);
  return makeDataset({ name: 'hand', images, labels: Int32Array.of(0, 1, 2), n: 3, height: H, width: W, channels: C, numClasses: 3, mean: [0, 0], std: [1, 1] });
}

test('batches: normalisation per channel, then cutout zeros in normalised space', () => {
  const ds = withStats(tinyDataset(), { mean: [2, -3], std: [4, 0.5] });
  const { x, y } = batchArrays(ds, [0, 1]);
  assert.deepEqual([...y], [0, 1]);
  assert.equal(x[(2 * W + 3) * C], (at(handImage(), 2, 3) - 2) / 4);
  assert.equal(x[(2 * W + 3) * C + 1], (at(handImage(), 2, 3, 1) + 3) * 2);
  assert.equal(x[H * W * C], -2 / 4); // second image is all zeros
  const raw = batchArrays(ds, [0], { normalize: false });
  assert.deepEqual(raw.x, handImage());
  // With a cutout as big as the image, the whole normalised image is 0.
  const cut = batchArrays(ds, [0], { augment: { cutout: 2 * Math.max(H, W) + 1 }, rng: new Rng(1) });
  assert.ok(cut.x.every((v) => v === 0));
});

const idx = (b: Batch): number[] => [...b.indices];
function drain(batcher: Batcher, count: number): { indices: number[][]; xs: Float32Array[] } {
  const out = { indices: [] as number[][], xs: [] as Float32Array[] };
  for (let i = 0; i < count; i++) {
    const b = batcher.next();
    out.indices.push(idx(b));
    out.xs.push(b.x.dataSync() as Float32Array);
    tf.dispose([b.x, b.y]);
  }
  return out;
}

test('batcher: shapes, dtypes, every image once per epoch, dropLast', () => {
  const ds = makeSynthetic({ n: 50, height: 8, channels: 3, numClasses: 5, seed: 2 });
  const b = new Batcher(ds, { batchSize: 16, seed: 1 });
  assert.equal(b.batchesPerEpoch, 4);
  const sizes: number[] = [];
  const all: number[] = [];
  for (const batch of b.epochBatches()) {
    assert.equal(batch.x.dtype, 'float32');
    assert.equal(batch.y.dtype, 'int32');
    assert.deepEqual(batch.x.shape.slice(1), [8, 8, 3]);
    assert.deepEqual(
      [...batch.y.dataSync()],
      [...batch.indices].map((i) => ds.labels[i]!),
    );
    sizes.push(batch.x.shape[0]);
    all.push(...batch.indices);
    tf.dispose([batch.x, batch.y]);
  }
  assert.deepEqual(sizes, [16, 16, 16, 2]);
  assert.deepEqual(
    all.slice().sort((p, q) => p - q),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.notDeepEqual(
    all,
    Array.from({ length: 50 }, (_, i) => i),
    'shuffled',
  );
  assert.equal(b.epoch, 1);
  assert.equal(b.position, 0);

  const d = new Batcher(ds, { batchSize: 16, dropLast: true, shuffle: false });
  assert.equal(d.batchesPerEpoch, 3);
  const e0 = drain(d, 3).indices;
  assert.deepEqual(
    e0.flat(),
    Array.from({ length: 48 }, (_, i) => i),
  );
  assert.equal(d.epoch, 1);
  assert.deepEqual(
    drain(d, 1).indices[0],
    Array.from({ length: 16 }, (_, i) => i),
  );
  assert.throws(() => new Batcher(ds, { batchSize: 64, dropLast: true }), TsnasError);
  assert.throws(() => new Batcher(ds, { batchSize: 0 }), TsnasError);

  // Normalised: over a whole epoch, each channel has mean ≈ 0 and std ≈ 1.
  const full = new Batcher(ds, { batchSize: 50, shuffle: false }).next();
  const m = tf.moments(full.x, [0, 1, 2]);
  (m.mean.dataSync() as Float32Array).forEach((v) => assert.ok(Math.abs(v) < 1e-4));
  (m.variance.dataSync() as Float32Array).forEach((v) => assert.ok(Math.abs(v - 1) < 1e-3));
  tf.dispose([full.x, full.y, m.mean, m.variance]);
});

const AUG = { cropPadding: 2, flip: true, cutout: 3 };

test('batcher: deterministic by seed, augmentations included', () => {
  const ds = makeSynthetic({ n: 40, height: 8, channels: 3, numClasses: 4, seed: 6 });
  const a = drain(new Batcher(ds, { batchSize: 8, seed: 11, augment: AUG }), 12);
  const b = drain(new Batcher(ds, { batchSize: 8, seed: 11, augment: AUG }), 12);
  const c = drain(new Batcher(ds, { batchSize: 8, seed: 12, augment: AUG }), 12);
  assert.deepEqual(a.indices, b.indices);
  assert.deepEqual(a.xs, b.xs);
  assert.notDeepEqual(a.indices, c.indices);
  // Epochs are reshuffled.
  assert.notDeepEqual(a.indices.slice(0, 5), a.indices.slice(5, 10));
  // Augmentation changes pixels: the same image differs from its un-augmented version.
  const plain = drain(new Batcher(ds, { batchSize: 8, seed: 11 }), 1);
  assert.deepEqual(plain.indices[0], a.indices[0]);
  assert.notDeepEqual(plain.xs[0], a.xs[0]);
});

test('batcher: a saved state resumes the rest of the epoch (and later epochs) exactly', () => {
  const ds = makeSynthetic({ n: 45, height: 8, channels: 3, numClasses: 5, seed: 8 });
  const opts = { batchSize: 10, seed: 21, augment: AUG };
  const reference = drain(new Batcher(ds, opts), 14); // 5 batches an epoch: almost 3 epochs
  for (const cut of [0, 2, 5, 7, 13]) {
    const first = new Batcher(ds, opts);
    const head = drain(first, cut);
    assert.deepEqual(head.indices, reference.indices.slice(0, cut));
    const saved = JSON.parse(JSON.stringify(first.getState()));
    assert.equal(saved.epoch, Math.floor(cut / 5));
    assert.equal(saved.position, (cut % 5) * 10);
    const resumed = new Batcher(ds, opts, saved);
    const tail = drain(resumed, 14 - cut);
    assert.deepEqual(tail.indices, reference.indices.slice(cut), `cut at ${cut}`);
    assert.deepEqual(tail.xs, reference.xs.slice(cut), `cut at ${cut}`);
    // setState on a running batcher works too.
    const other = new Batcher(ds, { ...opts, seed: 999 });
    drain(other, 3);
    other.setState(saved);
    assert.deepEqual(drain(other, 14 - cut).indices, reference.indices.slice(cut));
  }
  const state = new Batcher(ds, opts).getState();
  assert.throws(() => new Batcher(makeSynthetic({ n: 44, height: 8, numClasses: 4 }), opts, state), TsnasError);
  assert.throws(() => new Batcher(ds, { ...opts, batchSize: 9 }, state), TsnasError);
});

test('batcher: exactly two tensors per batch, none left once disposed', () => {
  const ds = makeSynthetic({ n: 64, height: 8, channels: 3, numClasses: 4 });
  const batcher = new Batcher(ds, { batchSize: 16, seed: 3, augment: AUG });
  const before = tf.memory().numTensors;
  const b = batcher.next();
  assert.equal(tf.memory().numTensors, before + 2);
  tf.dispose([b.x, b.y]);
  assert.equal(tf.memory().numTensors, before);
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const batch of batcher.epochBatches()) tf.dispose([batch.x, batch.y]);
    assert.equal(tf.memory().numTensors, before);
  }
  const fb = fixedBatch(ds, 8, 1);
  assert.equal(tf.memory().numTensors, before + 2);
  tf.dispose([fb.x, fb.y]);
  assert.equal(tf.memory().numTensors, before);
});

test('fixedBatch: seeded, distinct images, normalised', () => {
  const ds = makeSynthetic({ n: 30, height: 4, channels: 1, numClasses: 3 });
  const a = fixedBatch(ds, 12, 4);
  const b = fixedBatch(ds, 12, 4);
  const c = fixedBatch(ds, 12, 5);
  assert.deepEqual(a.x.shape, [12, 4, 4, 1]);
  assert.deepEqual(idx(a), idx(b));
  assert.deepEqual(a.x.dataSync(), b.x.dataSync());
  assert.notDeepEqual(idx(a), idx(c));
  assert.equal(new Set(idx(a)).size, 12);
  const all = fixedBatch(ds, 30, 0);
  assert.equal(new Set(idx(all)).size, 30);
  const j = a.indices[0]!;
  assert.ok(Math.abs(a.x.dataSync()[0]! - (ds.images[j * 16]! - ds.mean[0]!) / ds.std[0]!) < 1e-6);
  assert.throws(() => fixedBatch(ds, 31, 0), TsnasError);
  tf.dispose([a.x, a.y, b.x, b.y, c.x, c.y, all.x, all.y]);
});
