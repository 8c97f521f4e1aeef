/**
 * Data movement as strided copies (native/src/copy.cc): Slice (non-contiguous; contiguous slices
 * stay zero-copy views), SplitV, Transpose, Reverse, PadV2, Concat.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../../tf.js';
import type { NativeAddon } from '../addon.js';
import { alloc, f32, inputsOf, listInputs, out, sizeOf, type Attrs, type Bind, type KernelTable, type TensorInfo } from '../kernel.js';

const { backend_util, util } = tf;

const stridesOf = (shape: number[]): number[] => {
  const st = new Array<number>(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = k;
    k *= shape[i]!;
  }
  return st;
};

/** Native strided copy of the [begin, begin+size) box of x into a fresh tensor. */
function sliceCopy(backend: MathBackendCPU, A: NativeAddon, x: TensorInfo, xv: Float32Array, begin: number[], size: number[]): TensorInfo {
  const st = stridesOf(x.shape);
  const o = alloc(backend, sizeOf(size));
  const off = begin.reduce((acc, b, i) => acc + b * st[i]!, 0);
  A.copy(xv, off, st, o, 0, stridesOf(size), size);
  return out(backend, size, o);
}

const slice: Bind = (A) => (args, fallback) => {
  const { x } = inputsOf(args);
  const { backend } = args;
  const at = args.attrs as Attrs;
  const xv = f32(backend, x!);
  if (!xv) return fallback(args);
  const [begin, size] = tf.slice_util.parseSliceParams(x as never, at.begin as number[], at.size as number[]) as [number[], number[]];
  // a contiguous slice is a view in the cpu kernel (no copy): keep that
  if (sizeOf(size) === 0 || tf.slice_util.isSliceContinous(x!.shape, begin, size)) return fallback(args);
  return sliceCopy(backend, A, x!, xv, begin, size);
};

const splitV: Bind = (A) => (args, fallback) => {
  const { x } = inputsOf(args);
  const { backend } = args;
  const at = args.attrs as Attrs;
  const xv = f32(backend, x!);
  if (!xv) return fallback(args);
  const axis = util.parseAxisParam(at.axis as number, x!.shape)[0]!;
  const sizes = backend_util.prepareSplitSize(x as never, at.numOrSizeSplits as number[], axis);
  const begin = new Array<number>(x!.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x!.shape.slice();
    size[axis] = s;
    const r =
      sizeOf(size) === 0 || tf.slice_util.isSliceContinous(x!.shape, begin, size)
        ? (tf.getKernel('Slice', 'cpu')!.kernelFunc({ inputs: { x: x! }, backend, attrs: { begin: begin.slice(), size } }) as TensorInfo)
        : sliceCopy(backend, A, x!, xv, begin, size);
    begin[axis]! += s;
    return r;
  });
};

const transpose: Bind = (A) => (args, fallback) => {
  const { x } = inputsOf(args);
  const { backend } = args;
  const perm = (args.attrs as Attrs).perm as number[];
  const xv = f32(backend, x!);
  if (!xv || xv.length === 0) return fallback(args);
  const st = stridesOf(x!.shape);
  const shape = perm.map((p) => x!.shape[p]!);
  const o = alloc(backend, xv.length);
  A.copy(
    xv,
    0,
    perm.map((p) => st[p]!),
    o,
    0,
    stridesOf(shape),
    shape,
  );
  return out(backend, shape, o);
};

const reverse: Bind = (A) => (args, fallback) => {
  const { x } = inputsOf(args);
  const { backend } = args;
  const xv = f32(backend, x!);
  if (!xv || xv.length === 0) return fallback(args);
  const dims = util.parseAxisParam((args.attrs as Attrs).dims as number[], x!.shape);
  const st = stridesOf(x!.shape);
  let off = 0;
  const ss = st.map((v, i) => {
    if (!dims.includes(i)) return v;
    off += (x!.shape[i]! - 1) * v;
    return -v;
  });
  const o = alloc(backend, xv.length);
  A.copy(xv, off, ss, o, 0, st, x!.shape);
  return out(backend, x!.shape, o);
};

const padV2: Bind = (A) => (args, fallback) => {
  const { x } = inputsOf(args);
  const { backend } = args;
  const at = args.attrs as Attrs;
  const xv = f32(backend, x!);
  const paddings = at.paddings as [number, number][];
  if (!xv || xv.length === 0 || paddings.some(([a, b]) => a < 0 || b < 0)) return fallback(args);
  const shape = x!.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  const ost = stridesOf(shape);
  const o = alloc(backend, sizeOf(shape));
  A.fill(o, Number(at.constantValue ?? 0));
  const off = paddings.reduce((acc, [b], i) => acc + b * ost[i]!, 0);
  A.copy(xv, 0, stridesOf(x!.shape), o, off, ost, x!.shape);
  return out(backend, shape, o);
};

const concat: Bind = (A) => (args, fallback) => {
  const ts = listInputs(args).filter((t) => sizeOf(t.shape) > 0);
  const { backend } = args;
  if (ts.length === 0) return fallback(args);
  const vs = ts.map((t) => f32(backend, t));
  if (vs.some((v) => !v)) return fallback(args);
  const axis = util.parseAxisParam((args.attrs as Attrs).axis as number, ts[0]!.shape)[0]!;
  const shapes = ts.map((t) => t.shape);
  backend_util.assertParamsConsistent(shapes, axis);
  const shape = backend_util.computeOutShape(shapes, axis);
  const ost = stridesOf(shape);
  const o = alloc(backend, sizeOf(shape));
  let at = 0;
  ts.forEach((t, i) => {
    A.copy(vs[i]!, 0, stridesOf(t.shape), o, at * ost[axis]!, ost, t.shape);
    at += t.shape[axis]!;
  });
  return out(backend, shape, o);
};

export const copyKernels: KernelTable = {
  Slice: slice,
  SplitV: splitV,
  Transpose: transpose,
  Reverse: reverse,
  PadV2: padV2,
  Concat: concat,
};
