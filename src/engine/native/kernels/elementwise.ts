/**
 * Elementwise kernels (native/src/elementwise.cc): binary ops with broadcasting, unary ops, AddN,
 * and tsnas's fused Relu gradient. Each is bound to the addon's function of the same name.
 */
import { tf } from '../../tf.js';
import { RELU_GRAD_KERNEL } from '../../fused.js';
import { named, type BinaryFn, type BinaryOp, type UnaryOp } from '../addon.js';
import { alloc, f32, inputsOf, listInputs, out, sizeOf, type Attrs, type Bind, type KernelTable } from '../kernel.js';

const { backend_util, util } = tf;

/**
 * Addressing of a broadcast operand as x[(i / inner) % size] over the flat output index, when
 * its non-broadcast axes form one contiguous block; undefined otherwise.
 */
export function broadcastPattern(shape: number[], outShape: number[]): [number, number] | undefined {
  const n = sizeOf(outShape);
  const size = sizeOf(shape);
  if (size === n) return [1, n];
  if (size === 1) return [1, 1];
  const r = outShape.length;
  const s = new Array<number>(r - shape.length).fill(1).concat(shape);
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < r; i++) {
    if (outShape[i] === 1) continue;
    if (s[i] === outShape[i]) {
      if (lo < 0) lo = i;
      else if (hi >= 0) return undefined; // a second block
      continue;
    }
    if (lo >= 0 && hi < 0) hi = i; // block ended
  }
  if (lo < 0) return [1, 1];
  if (hi < 0) hi = r;
  return [sizeOf(outShape.slice(hi)), sizeOf(outShape.slice(lo, hi))];
}

/**
 * o = op(a, b) with broadcasting. Operands whose non-broadcast axes form two blocks (e.g. a
 * [N,1,1,C] gradient against [N,H,W,C], which the cpu kernel takes ~35 ms for) are split along
 * the leading output axis into one-block problems, up to `depth` levels.
 */
function binaryBroadcast(op: BinaryFn, av: Float32Array, aShape: number[], bv: Float32Array, bShape: number[], o: Float32Array, outShape: number[], depth = 1): boolean {
  const pa = broadcastPattern(aShape, outShape);
  const pb = broadcastPattern(bShape, outShape);
  if (pa && pb) {
    op(av, pa[0], pa[1], bv, pb[0], pb[1], o);
    return true;
  }
  if (depth === 0 || outShape.length < 2) return false;
  const r = outShape.length;
  const lead = (shape: number[]) => (shape.length === r && shape[0] !== 1 ? sizeOf(shape.slice(1)) : 0);
  const rest = (shape: number[]) => (shape.length === r ? shape.slice(1) : shape);
  const [sa, sb, so] = [lead(aShape), lead(bShape), sizeOf(outShape.slice(1))];
  for (let l = 0; l < outShape[0]!; l++) {
    const a = sa ? av.subarray(l * sa, (l + 1) * sa) : av;
    const b = sb ? bv.subarray(l * sb, (l + 1) * sb) : bv;
    if (!binaryBroadcast(op, a, rest(aShape), b, rest(bShape), o.subarray(l * so, (l + 1) * so), outShape.slice(1), depth - 1)) return false;
  }
  return true;
}

/** A binary kernel with inputs {a, b}. */
function binaryKernel(name: BinaryOp): Bind {
  return (A) => {
    const op = named(A, 'binary', name);
    return (args, fallback) => {
      const { a, b } = inputsOf(args);
      const { backend } = args;
      const av = f32(backend, a!);
      const bv = f32(backend, b!);
      if (!av || !bv) return fallback(args);
      const outShape = backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
      const n = sizeOf(outShape);
      // empty in, empty out (also for TsnasReluGrad, which has no cpu kernel to fall back on)
      if (n === 0) return out(backend, outShape, new Float32Array(0));
      const o = alloc(backend, n);
      // (a buffer left unused on fallback is simply collected)
      if (!binaryBroadcast(op, av, a!.shape, bv, b!.shape, o, outShape)) return fallback(args);
      return out(backend, outShape, o);
    };
  };
}

function unaryKernel(name: UnaryOp): Bind {
  return (A) => {
    const op = named(A, 'unary', name);
    const hasAlpha = name === 'Step';
    return (args, fallback) => {
      const { x } = inputsOf(args);
      const { backend } = args;
      const xv = f32(backend, x!);
      if (!xv || xv.length === 0) return fallback(args);
      const o = alloc(backend, xv.length);
      op(xv, o, hasAlpha ? Number((args.attrs as Attrs)?.alpha ?? 0) : 0);
      return out(backend, x!.shape, o);
    };
  };
}

const addN: Bind = (A) => (args, fallback) => {
  const ts = listInputs(args);
  const { backend } = args;
  const vs = ts.map((t) => f32(backend, t));
  if (ts.length === 0 || vs.some((v) => !v) || ts.some((t) => !util.arraysEqual(t.shape, ts[0]!.shape))) {
    return fallback(args);
  }
  const o = alloc(backend, sizeOf(ts[0]!.shape));
  A.addN(vs as Float32Array[], o);
  return out(backend, ts[0]!.shape, o);
};

const BINARY: BinaryOp[] = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference'];
const UNARY: UnaryOp[] = ['Relu', 'Step', 'Relu6', 'Neg', 'Square', 'Sqrt', 'Rsqrt', 'Exp', 'Log', 'Abs', 'Sigmoid', 'Tanh'];

export const elementwiseKernels: KernelTable = {
  ...Object.fromEntries(BINARY.map((name) => [name, binaryKernel(name)])),
  ...Object.fromEntries(UNARY.map((name) => [name, unaryKernel(name)])),
  AddN: addN,
  // inputs {dy, x}; same shapes (the gradient of Relu): dy·[x > 0] in one pass
  [RELU_GRAD_KERNEL]: (A) => {
    const k = binaryKernel('ReluGrad')(A);
    return (args, fallback) => {
      const { dy, x } = inputsOf(args);
      return k({ ...args, inputs: { a: dy!, b: x! } }, fallback);
    };
  },
};
