/**
 * 2-D pooling, NHWC (native/src/pooling.cc): MaxPool, AvgPool and their gradients, including
 * tsnas's padding-excluding AvgPool gradient (gradients.ts).
 */
import { tf } from '../../tf.js';
import { AVG_POOL_GRAD_EXCLUDE_PAD_KERNEL } from '../../gradients.js';
import { named, type PoolOp } from '../addon.js';
import { alloc, f32, inputsOf, out, sizeOf, type Attrs, type Bind, type KernelTable } from '../kernel.js';

const { backend_util } = tf;
type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

function poolParams(c: Conv2DInfo): Int32Array {
  return Int32Array.from([c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left]);
}

function poolKernel(name: PoolOp): Bind {
  return (A) => {
    const pool = named(A, 'pool', name);
    return (args, fallback) => {
      const { x } = inputsOf(args);
      const { backend } = args;
      const at = args.attrs as Attrs;
      const xv = f32(backend, x!);
      if (!xv || x!.shape.length !== 4) return fallback(args);
      const info = backend_util.computePool2DInfo(x!.shape as never, at.filterSize as number, at.strides as number, 1, at.pad as never, at.dimRoundingMode as never);
      const o = alloc(backend, sizeOf(info.outShape));
      pool(xv, o, poolParams(info));
      return out(backend, info.outShape, o);
    };
  };
}

const maxPoolGrad: Bind = (A) => (args, fallback) => {
  const { dy, input } = inputsOf(args);
  const { backend } = args;
  const at = args.attrs as Attrs;
  const dyv = f32(backend, dy!);
  const xv = f32(backend, input!);
  if (!dyv || !xv) return fallback(args);
  const info = backend_util.computePool2DInfo(input!.shape as never, at.filterSize as number, at.strides as number, 1, at.pad as never, at.dimRoundingMode as never);
  const o = alloc(backend, xv.length);
  A.maxPoolGrad(dyv, xv, o, poolParams(info));
  return out(backend, input!.shape, o);
};

const avgPoolGrad =
  (excludePad: boolean): Bind =>
  (A) =>
  (args, fallback) => {
    const { dy, input } = inputsOf(args);
    const { backend } = args;
    const at = args.attrs as Attrs;
    const dyv = f32(backend, dy!);
    if (!dyv || input!.dtype !== 'float32') return fallback(args);
    const info = backend_util.computePool2DInfo(input!.shape as never, at.filterSize as number, at.strides as number, 1, at.pad as never);
    const o = alloc(backend, sizeOf(input!.shape));
    A.avgPoolGrad(dyv, o, poolParams(info), excludePad);
    return out(backend, input!.shape, o);
  };

export const poolingKernels: KernelTable = {
  MaxPool: poolKernel('MaxPool'),
  AvgPool: poolKernel('AvgPool'),
  MaxPoolGrad: maxPoolGrad,
  AvgPoolGrad: avgPoolGrad(false),
  [AVG_POOL_GRAD_EXCLUDE_PAD_KERNEL]: avgPoolGrad(true),
};
