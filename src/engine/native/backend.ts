/**
 * The `native` TF.js backend class: the cpu backend's storage (tensors are the cpu backend's
 * Float32Arrays, which the addon reads and writes in place) plus a pool of output buffers.
 */
import os from 'node:os';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { tf } from '../tf.js';

/** TSNAS_NATIVE_POOL_MB, else a quarter of the machine's memory, at least 1 GiB, at most 8 GiB. */
function defaultPoolBytes(): number {
  const env = process.env.TSNAS_NATIVE_POOL_MB;
  if (env !== undefined && env !== '') {
    const mb = Number(env);
    if (!Number.isFinite(mb) || mb < 0) throw new Error(`TSNAS_NATIVE_POOL_MB must be a number of megabytes ≥ 0, got '${env}'`);
    return mb * 2 ** 20;
  }
  return Math.min(8 * 2 ** 30, Math.max(2 ** 30, Math.floor(os.totalmem() / 4)));
}

/** The native backend's buffer pool: what it holds, its cap, and what it has given back. */
export interface BufferPoolStats {
  /** Bytes of free buffers held for reuse. */
  pooledBytes: number;
  /** Free buffers held. */
  buffers: number;
  /** Distinct lengths among them. */
  sizeClasses: number;
  /** The cap on `pooledBytes`. */
  maxPooledBytes: number;
  /** Bytes given back to the OS since the backend started (buffers the pool let go). */
  discardedBytes: number;
}

/**
 * The TF.js backend class: the cpu backend's storage, plus a pool of output buffers.
 * Fresh large Float32Arrays cost page faults (about 3 ms for 4 MB, 40× the ReLU that fills
 * them), so native kernels take their outputs from a pool keyed by length. A buffer goes back
 * to the pool only when no live tensor refers to its ArrayBuffer (slices may be views), and
 * `readSync` hands out copies of pooled buffers, so no array a caller holds is ever reused.
 *
 * The pool is capped (`maxPooledBytes`). Over the cap it evicts whole size classes, the least
 * recently requested first, and drops the returning buffer only if that is not enough: a
 * training step whose activations exceed the cap then re-allocates just the excess, and sizes a
 * finished phase used go first. (It used to empty itself at the cap: the NB201 supernet's 3.9 GB
 * of activations against a 1 GB cap made every step allocate afresh, 2.2 s instead of 0.9 s.)
 *
 * Every buffer the pool lets go (evicted, over the cap, released) is discarded at once (the addon's
 * `discard`: its pages go back to the OS), since V8 frees an ArrayBuffer only at its next collection:
 * on a 20-cell DARTS network that garbage, not the live tensors, set the peak RSS. `trimPool` drops
 * the size classes not requested since the previous trim: a releasing pass (nn/release.ts) trims at
 * every cut, so the sizes of a finished stage of the network do not stay pooled through the next.
 */
export class NativeBackend extends MathBackendCPU {
  /** Size classes in order of the last request for them (a Map iterates in insertion order). */
  private readonly pool = new Map<number, Float32Array[]>();
  /** Size classes requested since the last `trimPool`. */
  private readonly requested = new Set<number>();
  private discardedBytes = 0;
  private readonly owned = new WeakSet<ArrayBufferLike>();
  private readonly live = new Map<ArrayBufferLike, number>();
  private pooledBytes = 0;
  /** Upper bound on the bytes kept in the pool: TSNAS_NATIVE_POOL_MB, default a quarter of RAM, 1–8 GiB. */
  maxPooledBytes = defaultPoolBytes();
  /**
   * `trimPool` keeps a pool of at most this many bytes whole: it saves page faults on every pass and
   * costs little (NASWOT over 60 NB201 cells: 2× the CPU time when trimmed at every cut).
   */
  trimFloorBytes = 256 * 2 ** 20;
  /**
   * A loan's unused tail of at least this many bytes goes back to the OS; a smaller one stays (its
   * pages would fault in again at the buffer's next full-length use).
   */
  tailDiscardBytes = 16 * 2 ** 20;

  /** @param discard gives an unused array's pages back to the OS (the addon's `discard`); returns the bytes. */
  constructor(private readonly discard: (a: Float32Array) => number) {
    super();
    // the cpu backend's "install tfjs-node" notice is misleading here
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /**
   * An uninitialised float32 buffer of n elements for a kernel output: a pooled one of length n, else
   * the front of the shortest pooled one up to 4n long (a view whose tail's pages are discarded; the
   * whole buffer returns to its own class when freed), else a fresh one. Sizes drop 2–4× at each
   * stride-2 stage of a network, so the buffers of a finished stage serve the next one instead of
   * staying pooled beside new ones. A loan does not count as a request of the longer class:
   * `trimPool` then drops that class, and the next stretch of work gets buffers of its own size.
   */
  alloc(n: number): Float32Array {
    const b = this.take(n, n);
    if (b) return b;
    let best = 0;
    for (const [m, list] of this.pool) if (m > n && m <= 4 * n && list.length > 0 && (best === 0 || m < best)) best = m;
    if (best > 0) {
      const whole = this.take(best, n)!;
      // a large tail goes back to the OS; a small one stays (faulting its pages in again on the
      // buffer's next full-length use costs more than the memory: NB201-sized passes, 2× slower)
      if ((best - n) * 4 >= this.tailDiscardBytes) this.discardedBytes += this.discard(whole.subarray(n));
      return whole.subarray(0, n);
    }
    const a = new Float32Array(n);
    this.owned.add(a.buffer);
    return a;
  }

  /** A pooled buffer of length m for a request of n, recorded as a request of n (its class moves to the recent end, an empty one too). */
  private take(m: number, n: number): Float32Array | undefined {
    const list = this.pool.get(m) ?? [];
    this.pool.delete(m);
    this.pool.set(m, list);
    this.requested.add(n);
    const b = list.pop();
    if (b) this.pooledBytes -= b.byteLength;
    return b;
  }

  /** Bytes held in the pool (for tests and diagnostics). */
  get pooledByteCount(): number {
    return this.pooledBytes;
  }

  /** What the pool holds now, and how much it has given back to the OS (for tests and diagnostics). */
  poolStats(): BufferPoolStats {
    let buffers = 0;
    let sizeClasses = 0;
    for (const list of this.pool.values()) {
      buffers += list.length;
      if (list.length > 0) sizeClasses++;
    }
    return { pooledBytes: this.pooledBytes, buffers, sizeClasses, maxPooledBytes: this.maxPooledBytes, discardedBytes: this.discardedBytes };
  }

  /** Drop (and discard) the pooled buffers of every size class not requested since the previous trim. */
  trimPool(): void {
    // a small pool costs little memory and saves page faults on every pass: keep it whole
    if (this.pooledBytes <= this.trimFloorBytes) {
      this.requested.clear();
      return;
    }
    for (const [n, list] of this.pool) {
      if (this.requested.has(n)) continue;
      this.drop(list);
      this.pool.delete(n);
    }
    this.requested.clear();
  }

  /** Let buffers go: out of the byte count, their pages back to the OS. */
  private drop(list: Float32Array[]): void {
    for (const b of list) {
      this.pooledBytes -= b.byteLength;
      this.discardedBytes += this.discard(b);
    }
  }

  private track(values: unknown): void {
    if (ArrayBuffer.isView(values) && this.owned.has(values.buffer)) {
      this.live.set(values.buffer, (this.live.get(values.buffer) ?? 0) + 1);
    }
  }

  private untrack(values: unknown): void {
    if (!ArrayBuffer.isView(values) || !this.owned.has(values.buffer)) return;
    const buf = values.buffer;
    const k = (this.live.get(buf) ?? 1) - 1;
    if (k > 0) {
      this.live.set(buf, k);
      return;
    }
    this.live.delete(buf);
    const bytes = buf.byteLength;
    const whole = new Float32Array(buf);
    if (bytes <= this.maxPooledBytes && this.pooledBytes + bytes > this.maxPooledBytes) this.evict(bytes, whole.length);
    if (this.pooledBytes + bytes > this.maxPooledBytes) {
      this.discardedBytes += this.discard(whole);
      return;
    }
    let list = this.pool.get(whole.length);
    if (!list) this.pool.set(whole.length, (list = []));
    list.push(whole);
    this.pooledBytes += bytes;
  }

  /** Evict whole size classes, least recently requested first (not `keep`), until `need` bytes fit. */
  private evict(need: number, keep: number): void {
    for (const [n, list] of this.pool) {
      if (this.pooledBytes + need <= this.maxPooledBytes) return;
      if (n === keep) continue;
      this.drop(list);
      this.pool.delete(n);
    }
  }

  /** Drop every pooled buffer, its pages back to the OS (the garbage collector takes the arrays). */
  releasePool(): void {
    for (const list of this.pool.values()) this.drop(list);
    this.pool.clear();
    this.pooledBytes = 0;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    const id = super.write(values, shape, dtype);
    this.track(values);
    return id;
  }

  override move(dataId: tf.DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    super.move(dataId, values, shape, dtype, refCount);
    this.track(values);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const r = super.disposeData(dataId, force);
    if (values !== undefined && !this.data.has(dataId)) this.untrack(values);
    return r;
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const v = super.readSync(dataId);
    return ArrayBuffer.isView(v) && this.owned.has(v.buffer) ? (v as Float32Array).slice() : v;
  }

  override dispose(): void {
    this.releasePool();
    super.dispose();
  }
}
