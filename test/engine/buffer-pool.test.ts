/**
 * The native backend's output-buffer pool (src/engine/native/backend.ts) and the backend-neutral
 * calls on it (src/engine/buffer-pool.ts): buffers it lets go leave the process at once (the addon's
 * `discard`), a freed buffer over the cap is not kept, `trimPool` keeps only the sizes asked for
 * since the last trim, and a request with no buffer of its size borrows a longer one. Skipped, with
 * the reason, when the addon is not built (`npm run build:native`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tf, type Tensor } from '../../src/engine/tf.js';
import { bufferPoolStats, releaseBufferPool, trimBufferPool } from '../../src/engine/buffer-pool.js';
import type { NativeBackend } from '../../src/engine/native/index.js';

let skip: string | false = false;
let nativeMod: typeof import('../../src/engine/native/index.js') | undefined;
try {
  nativeMod = await import('../../src/engine/native/index.js');
  await nativeMod.startNativeBackend();
} catch (e) {
  skip = `native backend skipped: ${(e as Error).message}`;
  console.log(`# ${skip}`);
}

const PAGE = 4096;

/** The native backend with the pool's size thresholds off, unless `keepThresholds`. */
function backend(keepThresholds = false): NativeBackend {
  tf.setBackend('native');
  const b = tf.backend() as unknown as NativeBackend;
  b.trimFloorBytes = keepThresholds ? 256 * 2 ** 20 : 0;
  b.tailDiscardBytes = keepThresholds ? 16 * 2 ** 20 : 0;
  return b;
}

/** relu of `n` positive values: a native kernel whose output comes from the pool. */
function reluOf(n: number, value = 1): Tensor {
  // the input is a user array, which the pool never owns
  return tf.tidy(() => tf.relu(tf.tensor1d(new Float32Array(n).fill(value))));
}

/** This process's resident memory, in bytes. */
function rssBytes(): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
}

test("native discard gives an array's pages back and leaves it readable as zeros", { skip }, () => {
  const A = nativeMod!.loadNativeAddon();
  const a = new Float32Array((64 * 2 ** 20) / 4).fill(1); // 64 MB, every page resident
  const before = rssBytes();
  const bytes = A.discard(a);
  assert.ok(bytes >= a.byteLength - 2 * PAGE && bytes <= a.byteLength, `discarded ${bytes} of ${a.byteLength} bytes`);
  // RSS is shared with nothing else this test does; the drop is most of 64 MB
  assert.ok(before - rssBytes() > 32 * 2 ** 20, `RSS fell by ${before - rssBytes()} bytes only`);
  assert.equal(a[a.length >> 1], 0);
  a[a.length >> 1] = 2; // still writable (the page is faulted in afresh)
  assert.equal(a[a.length >> 1], 2);
  assert.equal(A.discard(a.subarray(0, 10)), 0, 'less than a page has no whole page to discard');
});

test('native pool: a freed buffer over the cap is not kept, and its pages are discarded', { skip }, () => {
  const b = backend();
  const cap = b.maxPooledBytes;
  try {
    releaseBufferPool();
    const n = 8 * PAGE; // elements: 128 KiB
    b.maxPooledBytes = 8 * n - 1; // room for one buffer, not two
    const [x, y] = [reluOf(n), reluOf(n)];
    const d0 = bufferPoolStats()!.discardedBytes;
    x.dispose();
    assert.deepEqual({ ...bufferPoolStats()!, discardedBytes: 0 }, { pooledBytes: 4 * n, buffers: 1, sizeClasses: 1, maxPooledBytes: 8 * n - 1, discardedBytes: 0 });
    y.dispose(); // over the cap: dropped, its pages given back
    const s = bufferPoolStats()!;
    assert.equal(s.pooledBytes, 4 * n);
    assert.equal(s.buffers, 1);
    assert.ok(s.discardedBytes - d0 >= 4 * n - 2 * PAGE, `discarded ${s.discardedBytes - d0} bytes`);
  } finally {
    b.maxPooledBytes = cap;
    releaseBufferPool();
  }
});

test('native pool: trimPool keeps the sizes requested since the last trim and drops the rest', { skip }, () => {
  backend();
  releaseBufferPool();
  const [nA, nB] = [8 * PAGE, 100 * PAGE]; // more than 4× apart: neither serves the other
  tf.dispose([reluOf(nA), reluOf(nB)]);
  trimBufferPool(); // both requested since the (implicit) start: both kept
  assert.equal(bufferPoolStats()!.pooledBytes, 4 * (nA + nB));
  tf.dispose(reluOf(nA)); // only A requested since
  const d0 = bufferPoolStats()!.discardedBytes;
  trimBufferPool();
  const s = bufferPoolStats()!;
  assert.equal(s.pooledBytes, 4 * nA, 'the unrequested size class was kept');
  assert.equal(s.sizeClasses, 1);
  assert.ok(s.discardedBytes - d0 >= 4 * nB - 2 * PAGE);
  trimBufferPool(); // nothing requested since: empty
  assert.equal(bufferPoolStats()!.pooledBytes, 0);
});

test('native pool: a request with no buffer of its size borrows one up to 4× longer, which returns whole', { skip }, () => {
  backend();
  releaseBufferPool();
  const long = 64 * PAGE;
  tf.dispose(reluOf(long));
  trimBufferPool(); // requests so far forgotten; the long class stays
  const short = reluOf(long / 4, 3); // exactly 4× shorter: borrowed
  assert.equal(bufferPoolStats()!.buffers, 0, 'the longer buffer was not lent');
  const v = short.dataSync();
  assert.equal(v.length, long / 4);
  assert.ok(v.every((e) => e === 3));
  short.dispose();
  assert.deepEqual([bufferPoolStats()!.pooledBytes, bufferPoolStats()!.sizeClasses], [4 * long, 1], 'the lent buffer did not return whole to its own size');
  trimBufferPool();
  assert.equal(bufferPoolStats()!.pooledBytes, 0, 'a loan counted as a request of the longer size');
  tf.dispose(reluOf(long));
  const tooShort = reluOf(long / 4 - 1); // more than 4× shorter: a fresh buffer
  assert.equal(bufferPoolStats()!.buffers, 1);
  tooShort.dispose();
  releaseBufferPool();
});

test('bufferPoolStats is undefined and the pool calls do nothing on a backend without a pool', async () => {
  const prev = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    assert.equal(bufferPoolStats(), undefined);
    trimBufferPool();
    releaseBufferPool();
  } finally {
    await tf.setBackend(prev);
  }
});

test('native pool: a pool under the trim floor is kept whole, and a small loan tail stays resident', { skip }, () => {
  const b = backend(true);
  try {
    releaseBufferPool();
    const [nA, nB] = [8 * PAGE, 100 * PAGE];
    tf.dispose([reluOf(nA), reluOf(nB)]);
    trimBufferPool();
    tf.dispose(reluOf(nA));
    trimBufferPool(); // B unrequested, but the pool is far below 256 MB: kept
    assert.equal(bufferPoolStats()!.pooledBytes, 4 * (nA + nB));
    const d0 = bufferPoolStats()!.discardedBytes;
    const lent = reluOf(nB / 2); // borrows B; its tail (200 KB) is under 16 MB: not discarded
    assert.equal(bufferPoolStats()!.discardedBytes, d0);
    lent.dispose();
    b.trimFloorBytes = 0;
    trimBufferPool(); // over the floor now: trimmed to what was requested since the last trim
    assert.ok(bufferPoolStats()!.discardedBytes > d0);
  } finally {
    backend();
    releaseBufferPool();
  }
});
