/**
 * Reductions (native/src/reduce.cc): Sum, Mean, Max, Min over a contiguous block of axes, the
 * tensor viewed as [A, R, B] (double accumulation for sums).
 */
import { tf } from '../../tf.js';
import { named, type ReduceOp } from '../addon.js';
import { alloc, f32, inputsOf, out, sizeOf, type Attrs, type Bind, type KernelTable } from '../kernel.js';

const { util } = tf;

function reduceKernel(name: ReduceOp, axisAttr: string): Bind {
  return (A) => {
    const op = named(A, 'reduce', name);
    return (args, fallback) => {
      const { x } = inputsOf(args);
      const { backend } = args;
      const at = args.attrs as Attrs;
      const xv = f32(backend, x!);
      if (!xv || xv.length === 0) return fallback(args);
      const shape = x!.shape;
      const axes = util.parseAxisParam(at[axisAttr] as number | number[], shape).sort((p, q) => p - q);
      if (axes.length === 0) return fallback(args);
      // axes of size 1 are free; the rest must be one contiguous block
      const real = axes.filter((ax) => shape[ax] !== 1);
      const lo = real.length ? real[0]! : axes[0]!;
      const hi = real.length ? real[real.length - 1]! : axes[0]!;
      for (let i = lo; i <= hi; i++) if (shape[i] !== 1 && !axes.includes(i)) return fallback(args);
      const A_ = sizeOf(shape.slice(0, lo));
      const R = sizeOf(shape.slice(lo, hi + 1));
      const B = sizeOf(shape.slice(hi + 1));
      const outShape = at.keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
      const o = alloc(backend, A_ * B);
      op(xv, o, A_, R, B);
      return out(backend, outShape, o);
    };
  };
}

export const reduceKernels: KernelTable = {
  Sum: reduceKernel('Sum', 'axis'),
  Mean: reduceKernel('Mean', 'axis'),
  Max: reduceKernel('Max', 'reductionIndices'),
  Min: reduceKernel('Min', 'axis'),
};
