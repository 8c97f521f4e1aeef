/**
 * The current backend's output-buffer pool, for code that knows when a phase of work ends but not
 * which backend runs it: only the native backend pools buffers (engine/native/backend.ts); on the
 * others these do nothing.
 */
import { tf } from './tf.js';
import type { BufferPoolStats } from './native/backend.js';

interface PoolingBackend {
  trimPool(): void;
  releasePool(): void;
  poolStats(): BufferPoolStats;
}

function pooling(): Partial<PoolingBackend> {
  return tf.engine().backend as unknown as Partial<PoolingBackend>;
}

/** Drop the pooled buffers of every size not requested since the previous trim (a phase's sizes once it has ended). */
export function trimBufferPool(): void {
  pooling().trimPool?.();
}

/** Drop every pooled buffer (at the end of a phase whose sizes the next one will not ask for). */
export function releaseBufferPool(): void {
  pooling().releasePool?.();
}

/** The pool's statistics, or undefined on a backend without one. */
export function bufferPoolStats(): BufferPoolStats | undefined {
  return pooling().poolStats?.();
}
