/**
 * Gradients TF.js lacks or gets wrong, registered for every backend:
 * - Conv2D and DepthwiseConv2dNative with dilation > 1 (TF.js refuses these everywhere);
 * - backends without the backprop kernels (wasm has no Conv2DBackpropFilter and no depthwise
 *   backprops): the weight gradient of a convolution is itself a convolution (batch and channel
 *   axes swapped; stride and dilation exchange roles), and the input gradient is a convolution of
 *   the zero-upsampled output gradient with the flipped filter.
 * - AvgPool with padding: TF.js's forward excludes padded cells from the average (PyTorch's
 *   count_include_pad=False, which both spaces use) but its AvgPoolGrad divides by k·k everywhere,
 *   so border gradients are silently wrong on every backend (found by test/gradcheck.test.ts).
 * Where the backend has the stock kernel and dilation is 1, the stock kernel is used.
 */
import { tf, type Tensor, type Tensor4D } from './tf.js';
import { reluGrad } from './fused.js';

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;
type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

function pair(v: number | number[]): [number, number] {
  return Array.isArray(v) ? [v[0]!, v[1] ?? v[0]!] : [v, v];
}

/** Pad (positive) or crop (negative) the two spatial axes of an NHWC tensor. */
function padOrCrop(x: Tensor4D, top: number, bottom: number, left: number, right: number): Tensor4D {
  let y = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [, h, w] = y.shape;
    const t = Math.max(0, -top),
      b = Math.max(0, -bottom),
      l = Math.max(0, -left),
      r = Math.max(0, -right);
    y = tf.slice(y, [0, t, l, 0], [-1, h - t - b, w - l - r, -1]);
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    y = tf.pad(y, [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ]);
  }
  return y;
}

/** Insert s−1 zeros between spatial elements: [N,H,W,C] → [N,(H−1)s+1,(W−1)s+1,C]. */
function upsampleZeros(x: Tensor4D, sh: number, sw: number): Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  const e = tf.reshape(x, [n, h, 1, w, 1, c]);
  const p = tf.pad(e, [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  const r = tf.reshape(p, [n, h * sh, w * sw, c]) as Tensor4D;
  return tf.slice(r, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
}

/** dx of a (depthwise) convolution as a forward convolution with the flipped filter. */
function inputGradAsConv(dy: Tensor4D, filter: Tensor4D, info: Conv2DInfo, depthwise: boolean): Tensor4D {
  const u = upsampleZeros(dy, info.strideHeight, info.strideWidth);
  const kh = info.effectiveFilterHeight,
    kw = info.effectiveFilterWidth;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = info.inHeight + info.padInfo.top - 1 - (u.shape[1] - 1);
  const right = info.inWidth + info.padInfo.left - 1 - (u.shape[2] - 1);
  const up = padOrCrop(u, top, bottom, left, right);
  const flipped = tf.reverse(filter, [0, 1]);
  const dil: [number, number] = [info.dilationHeight, info.dilationWidth];
  if (depthwise) return tf.depthwiseConv2d(up, flipped as Tensor4D, 1, 'valid', 'NHWC', dil);
  return tf.conv2d(up, tf.transpose(flipped, [0, 1, 3, 2]) as Tensor4D, 1, 'valid', 'NHWC', dil);
}

/** dW of a convolution as a forward convolution: channels become the batch. */
function filterGradAsConv(x: Tensor4D, dy: Tensor4D, info: Conv2DInfo): Tensor4D {
  const xp = spatialPadForFilterGrad(x, info);
  const xt = tf.transpose(xp, [3, 1, 2, 0]) as Tensor4D; // [Ci, H, W, N]
  const f = tf.transpose(dy, [1, 2, 0, 3]) as Tensor4D; // [Ho, Wo, N, Co]
  const out = tf.conv2d(xt, f, [info.dilationHeight, info.dilationWidth], 'valid', 'NHWC', [info.strideHeight, info.strideWidth]);
  return tf.transpose(out, [1, 2, 0, 3]); // [K, K, Ci, Co]
}

/** dW of a depthwise convolution (multiplier 1): (batch × channel) become depthwise channels. */
function depthwiseFilterGradAsConv(x: Tensor4D, dy: Tensor4D, info: Conv2DInfo): Tensor4D {
  const xp = spatialPadForFilterGrad(x, info);
  const [n, h, w, c] = xp.shape;
  const xt = tf.reshape(tf.transpose(xp, [1, 2, 0, 3]), [1, h, w, n * c]) as Tensor4D;
  const [, ho, wo] = dy.shape;
  const f = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [ho, wo, n * c, 1]) as Tensor4D;
  const out = tf.depthwiseConv2d(xt, f, [info.dilationHeight, info.dilationWidth], 'valid', 'NHWC', [info.strideHeight, info.strideWidth]);
  const k = tf.reshape(out, [info.filterHeight, info.filterWidth, n, c]);
  return tf.expandDims(tf.sum(k, 2), 3) as Tensor4D;
}

/** Pad/crop x so a 'valid' correlation with dy (dilated by the stride) yields exactly K taps. */
function spatialPadForFilterGrad(x: Tensor4D, info: Conv2DInfo): Tensor4D {
  const needH = (info.filterHeight - 1) * info.dilationHeight + (info.outHeight - 1) * info.strideHeight + 1;
  const needW = (info.filterWidth - 1) * info.dilationWidth + (info.outWidth - 1) * info.strideWidth + 1;
  return padOrCrop(x, info.padInfo.top, needH - info.inHeight - info.padInfo.top, info.padInfo.left, needW - info.inWidth - info.padInfo.left);
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dilations: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
}

function convInfo(x: Tensor4D, filter: Tensor4D, a: ConvAttrs, depthwise: boolean): Conv2DInfo {
  if (a.dataFormat === 'NCHW') throw new Error('tsnas conv gradients support NHWC only');
  const pad = Array.isArray(a.pad) ? (a.pad as unknown as tf.backend_util.ExplicitPadding) : a.pad;
  return tf.backend_util.computeConv2DInfo(x.shape, filter.shape, a.strides, a.dilations ?? 1, pad as 'same', a.dimRoundingMode, depthwise);
}

function isDilated(a: ConvAttrs): boolean {
  const [dh, dw] = pair(a.dilations ?? 1);
  return dh > 1 || dw > 1;
}

/**
 * Gradient of a (depthwise) convolution: the backend's stock backprop kernels when it has them
 * and there is no dilation, otherwise the forward-convolution forms above.
 */
function registerConvGradient(kernelName: 'Conv2D' | 'DepthwiseConv2dNative', depthwise: boolean): void {
  const prefix = depthwise ? 'DepthwiseConv2dNative' : 'Conv2D';
  tf.registerGradient({
    kernelName,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: unknown) => {
      const [x, filter] = saved as [Tensor4D, Tensor4D];
      const a = attrs as ConvAttrs;
      const g = dy as Tensor4D;
      if (depthwise && filter.shape[3] !== 1) throw new Error('tsnas depthwise gradients support channel multiplier 1 only');
      const info = convInfo(x, filter, a, depthwise);
      // The native backend's backprop kernels take dilation; elsewhere dilated gradients use the forward forms.
      const stock = !isDilated(a) || tf.getBackend() === 'native';
      const fmt = depthwise ? {} : { dataFormat: 'NHWC' };
      return {
        x: () =>
          stock && hasKernel(`${prefix}BackpropInput`)
            ? (tf.engine().runKernel(`${prefix}BackpropInput`, { dy: g, filter }, { ...a, ...fmt, inputShape: x.shape }) as Tensor)
            : inputGradAsConv(g, filter, info, depthwise),
        filter: () =>
          stock && hasKernel(`${prefix}BackpropFilter`)
            ? (tf.engine().runKernel(`${prefix}BackpropFilter`, { x, dy: g }, { ...a, ...fmt, filterShape: filter.shape }) as Tensor)
            : depthwise
              ? depthwiseFilterGradAsConv(x, g, info)
              : filterGradAsConv(x, g, info),
      };
    },
  });
}

/** Kernel name a backend may implement: AvgPoolGrad dividing by each window's in-bounds cells. */
export const AVG_POOL_GRAD_EXCLUDE_PAD_KERNEL = 'TsnasAvgPoolGradExcludePad';

let registered = false;

export function registerGradientFixes(): void {
  if (registered) return;
  registered = true;
  const silence = tf.env().get('PROD');
  tf.env().set('PROD', true); // registerGradient warns about overriding; that is the point here.
  registerConvGradient('Conv2D', false);
  registerConvGradient('DepthwiseConv2dNative', true);
  tf.registerGradient({
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: unknown) => {
      const [x] = saved as [Tensor4D];
      if (hasKernel(AVG_POOL_GRAD_EXCLUDE_PAD_KERNEL)) {
        return { x: () => tf.engine().runKernel(AVG_POOL_GRAD_EXCLUDE_PAD_KERNEL, { dy: dy as Tensor, input: x }, attrs as tf.NamedAttrMap) as Tensor };
      }
      const a = attrs as { filterSize: number | [number, number]; strides: number | [number, number]; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
      const pad = (Array.isArray(a.pad) ? a.pad : a.pad) as 'same';
      const info = tf.backend_util.computePool2DInfo(x.shape, a.filterSize, a.strides, 1, pad, a.dimRoundingMode);
      // The stock kernel spreads dy/(k·k); dividing dy by the true window count first and
      // multiplying back by k·k gives Σ_windows dy/count.
      const area = info.filterHeight * info.filterWidth;
      const counts = tf.tensor4d(poolCounts(info), [1, info.outHeight, info.outWidth, 1]);
      return {
        x: () => tf.mul(tf.engine().runKernel('AvgPoolGrad', { dy: tf.div(dy as Tensor, counts), input: x }, a as unknown as tf.NamedAttrMap) as Tensor, area),
      };
    },
  });
  // One pass instead of Step + Multiply (a backend without the kernel gets exactly those two).
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => ({ x: () => reluGrad(dy as Tensor, saved[0]!) }),
  });
  tf.env().set('PROD', silence);
}

/** Number of real (unpadded) input cells in each pooling window. */
function poolCounts(info: Conv2DInfo): Float32Array {
  const out = new Float32Array(info.outHeight * info.outWidth);
  const span = (o: number, stride: number, pad: number, k: number, n: number) => {
    const start = o * stride - pad;
    return Math.min(n, start + k) - Math.max(0, start);
  };
  for (let i = 0; i < info.outHeight; i++) {
    for (let j = 0; j < info.outWidth; j++) {
      out[i * info.outWidth + j] = span(i, info.strideHeight, info.padInfo.top, info.filterHeight, info.inHeight) * span(j, info.strideWidth, info.padInfo.left, info.filterWidth, info.inWidth);
    }
  }
  return out;
}
