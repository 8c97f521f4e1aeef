/**
 * A tensor's values without a copy where the backend keeps them in host memory, for a reader that
 * is done with them before the tensor can be disposed (NASWOT packs each ReLU input to bits at
 * once). The native backend's `dataSync` copies its pooled buffers, so that no array a caller
 * keeps is reused (engine/native/backend.ts); on a 20-cell DARTS network at batch 128 those copies
 * are 1.4 GB of fresh arrays per pass, each paid in page faults and garbage collection.
 */
import { tf, type Tensor } from './tf.js';

interface HostStorage {
  data: { get(id: unknown): { values?: unknown } | undefined };
}

/** `t`'s float32 values, read in place on the cpu and native backends, else `dataSync()`. Do not keep the array. */
export function readTransient(t: Tensor): Float32Array {
  if (t.dtype === 'float32') {
    const backend = tf.engine().backend as unknown as Partial<HostStorage>;
    const name = tf.getBackend();
    if ((name === 'native' || name === 'cpu') && backend.data) {
      const v = backend.data.get(t.dataId)?.values;
      if (v instanceof Float32Array && v.length === t.size) return v;
    }
  }
  return t.dataSync() as Float32Array;
}
