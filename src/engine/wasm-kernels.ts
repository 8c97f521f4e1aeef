/**
 * Kernels the wasm backend lacks or computes wrongly. MaxPoolGrad on wasm is silently wrong with
 * more than one channel (docs/ENGINE.md, "The wasm backend"), so it is replaced by a direct loop over the heap arrays.
 */
import { tf } from './tf.js';

interface WasmBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Routes dy to the first maximum of each window (TensorFlow's tie rule). */
export function maxPoolGradInto(x: Float32Array, dy: Float32Array, dx: Float32Array, info: ReturnType<typeof tf.backend_util.computePool2DInfo>): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const fh = info.effectiveFilterHeight,
    fw = info.effectiveFilterWidth;
  const dh = info.dilationHeight,
    dw = info.dilationWidth;
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    const xb = b * inHeight * inWidth * c;
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const o = ((b * outHeight + oh) * outWidth + ow) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity,
            at = -1;
          for (let i = 0; i < fh; i += dh) {
            const ih = oh * strideHeight - top + i;
            if (ih < 0 || ih >= inHeight) continue;
            for (let j = 0; j < fw; j += dw) {
              const iw = ow * strideWidth - left + j;
              if (iw < 0 || iw >= inWidth) continue;
              const k = xb + (ih * inWidth + iw) * c + ch;
              if (x[k]! > best) {
                best = x[k]!;
                at = k;
              }
            }
          }
          if (at >= 0) dx[at] = dx[at]! + dy[o + ch]!;
        }
      }
    }
  }
}

let registered = false;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const prod = tf.env().get('PROD');
  tf.env().set('PROD', true);
  tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({
    kernelName: 'MaxPoolGrad',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
      const a = attrs as unknown as PoolAttrs;
      const be = backend as unknown as WasmBackend;
      const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
      const out = be.makeOutput(input.shape, 'float32');
      maxPoolGradInto(be.typedArrayFromHeap(input), be.typedArrayFromHeap(dy), be.typedArrayFromHeap(out), info);
      return out;
    },
  });
  tf.env().set('PROD', prod);
}
