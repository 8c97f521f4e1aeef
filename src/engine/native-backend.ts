/**
 * The `native` TF.js backend: the cpu backend's storage and kernels, with the hot kernels
 * replaced by a C++ addon (native/) on oneDNN and OpenMP. Tensors live in the cpu backend's
 * Float32Arrays; the addon reads and writes those arrays in place (no copies). Every native
 * kernel falls back to the cpu kernel for cases it does not cover (other dtypes, NCHW,
 * broadcasts that are not a single block, primitives oneDNN cannot build).
 * Build the addon with `npm run build:native` (needs `apt-get install libdnnl-dev`).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from './tf.js';
import {
  BN_AFFINE_BACKWARD_KERNEL, BN_AFFINE_FORWARD_KERNEL, RELU_GRAD_KERNEL,
  SGD_STEP_KERNEL, SUM_SQUARES_KERNEL, WEIGHTED_SUM_GRAD_KERNEL, WEIGHTED_SUM_KERNEL,
} from './fused.js';
import { AVG_POOL_GRAD_EXCLUDE_PAD_KERNEL } from './gradients.js';

type TensorInfo = tf.TensorInfo;
type Attrs = Record<string, unknown>;
interface KernelArgs {
  inputs: Record<string, TensorInfo> | TensorInfo[];
  backend: MathBackendCPU;
  attrs?: Attrs;
}
type KernelFn = (args: KernelArgs) => TensorInfo | TensorInfo[];
type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** The addon's interface (native/src/tsnas_native.cc). */
export interface NativeAddon {
  /** bias and act (0 linear, 1 relu, as oneDNN post-op) for the forward convolution only */
  conv(kind: number, a: Float32Array, b: Float32Array, out: Float32Array, p: Int32Array, bias?: Float32Array | null, act?: number): boolean;
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, p: Int32Array): boolean;
  binary(op: number, a: Float32Array, ai: number, as: number, b: Float32Array, bi: number, bs: number, out: Float32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha?: number): void;
  reduce(op: number, x: Float32Array, out: Float32Array, A: number, R: number, B: number): void;
  weightedSum(xs: Float32Array[], w: Float32Array, y: Float32Array): void;
  sgdStep(p: Float32Array[], g: Float32Array[], v: (Float32Array | null)[], pOut: Float32Array[], vOut: Float32Array[],
    lr: number, momentum: number, weightDecay: number, nesterov: boolean, scale: number): void;
  sumSquares(xs: Float32Array[]): number;
  weightedSumGrad(dy: Float32Array, xs: Float32Array[], w: Float32Array, dxs: Float32Array[], dw: Float32Array): void;
  bnAffineForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, invstd: Float32Array, C: number, eps: number, variance?: Float32Array): void;
  bnAffineBackward(dy: Float32Array, x: Float32Array, mean: Float32Array, invstd: Float32Array, gamma: Float32Array,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, C: number): void;
  pool(kind: number, x: Float32Array, y: Float32Array, p: Int32Array): void;
  /** NASWOT codes: bit-pack (x > 0) per row; add popcount Hamming distances of row pairs (i < j). */
  packCodes(x: Float32Array, batch: number, units: number, out: Uint32Array): void;
  addHamming(codes: Uint32Array, batch: number, words: number, dist: Float64Array, mult: number): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, p: Int32Array): void;
  avgPoolGrad(dy: Float32Array, dx: Float32Array, p: Int32Array, excludePad?: boolean): void;
  addN(xs: Float32Array[], out: Float32Array): void;
  copy(src: Float32Array, srcOffset: number, srcStrides: number[], dst: Float32Array, dstOffset: number, dstStrides: number[], shape: number[]): void;
  fill(dst: Float32Array, value: number): void;
  affine(x: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  info(): NativeInfo;
  configure(o: { threads?: number; layoutAny?: boolean; convAuto?: boolean; winograd?: boolean; verbose?: boolean }): NativeInfo;
  plans(): Record<string, string>;
}
export interface NativeInfo {
  version: string;
  threads: number;
  isa: string;
  runtime: string;
  layout: string;
  convAlgo: string;
  winograd: boolean;
  plans: number;
}

const ADDON_REL = join('native', 'build', 'Release', 'tsnas_native.node');
let addon: NativeAddon | undefined;

/** Locate and load the addon; throws an Error naming `npm run build:native` when absent. */
export function loadNativeAddon(): NativeAddon {
  if (addon) return addon;
  let dir = dirname(fileURLToPath(import.meta.url));
  let path: string | undefined;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, ADDON_REL);
    if (existsSync(p)) {
      path = p;
      break;
    }
    dir = dirname(dir);
  }
  if (!path) {
    throw new Error(
      'the native addon is not built (native/build/Release/tsnas_native.node is missing): ' +
        'run `apt-get install libdnnl-dev` and `npm run build:native`',
    );
  }
  // OpenMP threads spin after each parallel region before they sleep (libgomp: 300k spins by
  // default). A short spin keeps back-to-back kernels fast without burning a core the rest of
  // the time, which matters when other processes share the machine. Read by libgomp when the
  // addon loads it; a user setting wins.
  if (process.env.GOMP_SPINCOUNT === undefined && process.env.OMP_WAIT_POLICY === undefined) {
    process.env.GOMP_SPINCOUNT = '20000';
  }
  const require = createRequire(import.meta.url);
  try {
    addon = require(path) as NativeAddon;
  } catch (e) {
    throw new Error(`the native addon failed to load (${(e as Error).message}); rebuild it with \`npm run build:native\``);
  }
  return addon;
}

/** True when the addon file exists and loads. */
export function nativeAvailable(): boolean {
  try {
    loadNativeAddon();
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------
const { backend_util, util } = tf;
const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The Float32Array behind a float32 tensor of this backend, or undefined. */
function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array | undefined {
  if (t.dtype !== 'float32') return undefined;
  const v = backend.data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : undefined;
}

function alloc(backend: MathBackendCPU, n: number): Float32Array {
  return backend instanceof NativeBackend ? backend.alloc(n) : new Float32Array(n);
}

function out(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

/** oneDNN wants padding consistent with the output size: (I − Keff + pt + pb)/s + 1 = O. */
function convParams(c: Conv2DInfo, groups: number): Int32Array {
  const needB = (c.outHeight - 1) * c.strideHeight + c.effectiveFilterHeight - c.inHeight - c.padInfo.top;
  const needR = (c.outWidth - 1) * c.strideWidth + c.effectiveFilterWidth - c.inWidth - c.padInfo.left;
  return Int32Array.from([
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels,
    c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth,
    c.padInfo.top, c.padInfo.left, needB >= 0 ? needB : c.padInfo.bottom, needR >= 0 ? needR : c.padInfo.right,
    groups,
  ]);
}

function poolParams(c: Conv2DInfo): Int32Array {
  return Int32Array.from([
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth,
    c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left,
  ]);
}

/**
 * Addressing of a broadcast operand as x[(i / inner) % size] over the flat output index, when
 * its non-broadcast axes form one contiguous block; undefined otherwise.
 */
function broadcastPattern(shape: number[], outShape: number[]): [number, number] | undefined {
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

// ---------------------------------------------------------------------------------------------
// kernels
// ---------------------------------------------------------------------------------------------
type Impl = (args: KernelArgs, A: NativeAddon, fallback: KernelFn) => TensorInfo | TensorInfo[];

function inputsOf(args: KernelArgs): Record<string, TensorInfo> {
  return args.inputs as Record<string, TensorInfo>;
}

function convKernel(kind: 0 | 1 | 2, depthwise: boolean, fused = false): Impl {
  return (args, A, fallback) => {
    const { backend } = args;
    const ins = inputsOf(args);
    const at = args.attrs as Attrs;
    const dataFormat = backend_util.convertConv2DDataFormat((at.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC');
    if (dataFormat !== 'channelsLast') return fallback(args);
    const dil = (at.dilations ?? 1) as number | [number, number];
    const strides = at.strides as number | [number, number];
    const pad = at.pad as Parameters<typeof backend_util.computeConv2DInfo>[4];
    const rnd = at.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined;
    let a: TensorInfo;
    let b: TensorInfo;
    let info: Conv2DInfo;
    let outShape: number[];
    if (kind === 0) {
      a = ins.x!;
      b = ins.filter!;
      info = backend_util.computeConv2DInfo(a.shape as never, b.shape as never, strides, dil, pad, rnd, depthwise);
      outShape = info.outShape;
    } else if (kind === 1) {
      a = ins.dy!;
      b = ins.filter!;
      const inputShape = at.inputShape as [number, number, number, number];
      info = backend_util.computeConv2DInfo(inputShape, b.shape as never, strides, dil, pad, rnd, depthwise);
      outShape = inputShape;
    } else {
      a = ins.x!;
      b = ins.dy!;
      const filterShape = at.filterShape as [number, number, number, number];
      info = backend_util.computeConv2DInfo(a.shape as never, filterShape, strides, dil, pad, rnd, depthwise);
      outShape = filterShape;
    }
    const av = f32(backend, a);
    const bv = f32(backend, b);
    if (!av || !bv) return fallback(args);
    // FusedConv2D: a per-channel bias and ReLU run inside the oneDNN primitive (bias, post-op)
    let bias: Float32Array | null = null;
    let act = 0;
    if (fused) {
      const activation = (at.activation as string | undefined) ?? 'linear';
      if (!['linear', 'relu'].includes(activation) || ins.preluActivationWeights) return fallback(args);
      act = activation === 'relu' ? 1 : 0;
      if (ins.bias) {
        bias = f32(backend, ins.bias) ?? null;
        if (!bias || bias.length !== info.outChannels) return fallback(args);
      }
    }
    const o = alloc(backend, sizeOf(outShape));
    if (!A.conv(kind, av, bv, o, convParams(info, depthwise ? info.inChannels : 1), bias, act)) return fallback(args);
    return out(backend, outShape, o);
  };
}

function batchMatMulCore(
  backend: MathBackendCPU, A: NativeAddon, a: TensorInfo, b: TensorInfo, tA: boolean, tB: boolean,
): TensorInfo | undefined {
  const av = f32(backend, a);
  const bv = f32(backend, b);
  if (!av || !bv || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = tA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = tA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const K2 = tB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const N = tB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (K !== K2) return undefined; // let the cpu kernel raise its own error
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const BA = sizeOf(batchA);
  const BB = sizeOf(batchB);
  let outBatch: number[];
  if (BA === BB && util.arraysEqual(batchA, batchB)) outBatch = batchA;
  else if (BA === 1 && batchA.length <= batchB.length) outBatch = batchB;
  else if (BB === 1 && batchB.length <= batchA.length) outBatch = batchA;
  else return undefined;
  if (M * N === 0 || K === 0) return undefined;
  const o = alloc(backend, Math.max(BA, BB) * M * N);
  if (!A.matmul(av, bv, o, Int32Array.from([BA, BB, M, K, N, tA ? 1 : 0, tB ? 1 : 0]))) return undefined;
  return out(backend, [...outBatch, M, N], o);
}

const batchMatMul: Impl = (args, A, fallback) => {
  const { a, b } = inputsOf(args);
  const at = args.attrs as Attrs;
  return batchMatMulCore(args.backend, A, a!, b!, !!at.transposeA, !!at.transposeB) ?? fallback(args);
};

const ACT_UNARY: Record<string, number> = { relu: 0, relu6: 2, sigmoid: 10 };

const fusedMatMul: Impl = (args, A, fallback) => {
  const { a, b, bias, preluActivationWeights } = inputsOf(args);
  const at = args.attrs as Attrs;
  const act = (at.activation as string | undefined) ?? 'linear';
  if (preluActivationWeights || (act !== 'linear' && !(act in ACT_UNARY))) return fallback(args);
  const { backend } = args;
  if (bias && !f32(backend, bias)) return fallback(args);
  const mm = batchMatMulCore(backend, A, a!, b!, !!at.transposeA, !!at.transposeB);
  if (!mm) return fallback(args);
  const v = f32(backend, mm)!;
  if (bias) {
    const outShape = backend_util.assertAndGetBroadcastShape(mm.shape, bias.shape);
    const pb = util.arraysEqual(outShape, mm.shape) ? broadcastPattern(bias.shape, outShape) : undefined;
    if (!pb) {
      backend.disposeIntermediateTensorInfo(mm);
      return fallback(args);
    }
    A.binary(0, v, 1, v.length, f32(backend, bias)!, pb[0], pb[1], v);
  }
  if (act !== 'linear') A.unary(ACT_UNARY[act]!, v, v);
  return mm;
};

const BINARY_OPS: Record<string, number> = {
  Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6,
};

/**
 * o = op(a, b) with broadcasting. Operands whose non-broadcast axes form two blocks (e.g. a
 * [N,1,1,C] gradient against [N,H,W,C], which the cpu kernel takes ~35 ms for) are split along
 * the leading output axis into one-block problems, up to `depth` levels.
 */
function binaryBroadcast(
  A: NativeAddon, op: number, av: Float32Array, aShape: number[], bv: Float32Array, bShape: number[],
  o: Float32Array, outShape: number[], depth = 1,
): boolean {
  const pa = broadcastPattern(aShape, outShape);
  const pb = broadcastPattern(bShape, outShape);
  if (pa && pb) {
    A.binary(op, av, pa[0], pa[1], bv, pb[0], pb[1], o);
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
    if (!binaryBroadcast(A, op, a, rest(aShape), b, rest(bShape), o.subarray(l * so, (l + 1) * so), outShape.slice(1), depth - 1)) return false;
  }
  return true;
}

function binaryKernel(op: number): Impl {
  return (args, A, fallback) => {
    const { a, b } = inputsOf(args);
    const { backend } = args;
    const av = f32(backend, a!);
    const bv = f32(backend, b!);
    if (!av || !bv) return fallback(args);
    const outShape = backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
    const n = sizeOf(outShape);
    if (n === 0) return fallback(args);
    const o = alloc(backend, n);
    // (a buffer left unused on fallback is simply collected)
    if (!binaryBroadcast(A, op, av, a!.shape, bv, b!.shape, o, outShape)) return fallback(args);
    return out(backend, outShape, o);
  };
}

const UNARY_OPS: Record<string, number> = {
  Relu: 0, Step: 1, Relu6: 2, Neg: 3, Square: 4, Sqrt: 5, Rsqrt: 6, Exp: 7, Log: 8, Abs: 9, Sigmoid: 10, Tanh: 11,
};

function unaryKernel(op: number): Impl {
  return (args, A, fallback) => {
    const { x } = inputsOf(args);
    const { backend } = args;
    const xv = f32(backend, x!);
    if (!xv || xv.length === 0) return fallback(args);
    const o = alloc(backend, xv.length);
    A.unary(op, xv, o, op === 1 ? Number((args.attrs as Attrs)?.alpha ?? 0) : 0);
    return out(backend, x!.shape, o);
  };
}

function reduceKernel(op: number, axisAttr: string): Impl {
  return (args, A, fallback) => {
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
    const outShape = at.keepDims
      ? shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : shape.filter((_, i) => !axes.includes(i));
    const o = alloc(backend, A_ * B);
    A.reduce(op, xv, o, A_, R, B);
    return out(backend, outShape, o);
  };
}

function poolKernel(kind: 0 | 1): Impl {
  return (args, A, fallback) => {
    const { x } = inputsOf(args);
    const { backend } = args;
    const at = args.attrs as Attrs;
    const xv = f32(backend, x!);
    if (!xv || x!.shape.length !== 4) return fallback(args);
    const info = backend_util.computePool2DInfo(
      x!.shape as never, at.filterSize as number, at.strides as number, 1, at.pad as never,
      at.dimRoundingMode as never,
    );
    const o = alloc(backend, sizeOf(info.outShape));
    A.pool(kind, xv, o, poolParams(info));
    return out(backend, info.outShape, o);
  };
}

const maxPoolGrad: Impl = (args, A, fallback) => {
  const { dy, input } = inputsOf(args);
  const { backend } = args;
  const at = args.attrs as Attrs;
  const dyv = f32(backend, dy!);
  const xv = f32(backend, input!);
  if (!dyv || !xv) return fallback(args);
  const info = backend_util.computePool2DInfo(
    input!.shape as never, at.filterSize as number, at.strides as number, 1, at.pad as never,
    at.dimRoundingMode as never,
  );
  const o = alloc(backend, xv.length);
  A.maxPoolGrad(dyv, xv, o, poolParams(info));
  return out(backend, input!.shape, o);
};

const avgPoolGrad = (excludePad: boolean): Impl => (args, A, fallback) => {
  const { dy, input } = inputsOf(args);
  const { backend } = args;
  const at = args.attrs as Attrs;
  const dyv = f32(backend, dy!);
  if (!dyv || input!.dtype !== 'float32') return fallback(args);
  const info = backend_util.computePool2DInfo(
    input!.shape as never, at.filterSize as number, at.strides as number, 1, at.pad as never,
  );
  const o = alloc(backend, sizeOf(input!.shape));
  A.avgPoolGrad(dyv, o, poolParams(info), excludePad);
  return out(backend, input!.shape, o);
};

const addN: Impl = (args, A, fallback) => {
  const ts = Array.isArray(args.inputs) ? args.inputs : Object.values(args.inputs);
  const { backend } = args;
  const vs = ts.map((t) => f32(backend, t));
  if (ts.length === 0 || vs.some((v) => !v) || ts.some((t) => !util.arraysEqual(t.shape, ts[0]!.shape))) {
    return fallback(args);
  }
  const o = alloc(backend, sizeOf(ts[0]!.shape));
  A.addN(vs as Float32Array[], o);
  return out(backend, ts[0]!.shape, o);
};

const bnAffineForward: Impl = (args, A, fallback) => {
  const { x, gamma, beta, runningMean, runningVar } = inputsOf(args);
  const { backend } = args;
  const [xv, gv, bv] = [f32(backend, x!), f32(backend, gamma!), f32(backend, beta!)];
  if (!xv || !gv || !bv) return fallback(args);
  const C = x!.shape[x!.shape.length - 1]!;
  const y = alloc(backend, xv.length);
  const mean = new Float32Array(C);
  const invstd = new Float32Array(C);
  const eps = Number((args.attrs as Attrs)?.eps ?? 1e-5);
  const variance = new Float32Array(C);
  A.bnAffineForward(xv, gv, bv, y, mean, invstd, C, eps, variance);
  const outs = [out(backend, x!.shape, y), out(backend, [C], mean), out(backend, [C], invstd), out(backend, [C], variance)];
  if (runningMean && runningVar) {
    // running statistics as PyTorch updates them (unbiased batch variance), in the same kernel
    const m = Number((args.attrs as Attrs)?.momentum ?? 0.1);
    const [rm, rv] = [f32(backend, runningMean)!, f32(backend, runningVar)!];
    const n = xv.length / C;
    const unbias = n / Math.max(1, n - 1);
    const nm = new Float32Array(C);
    const nv = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      nm[c] = rm[c]! * (1 - m) + mean[c]! * m;
      nv[c] = rv[c]! * (1 - m) + variance[c]! * unbias * m;
    }
    outs.push(out(backend, [C], nm), out(backend, [C], nv));
  }
  return outs;
};

const bnAffineBackward: Impl = (args, A, fallback) => {
  const { dy, x, mean, invstd, gamma } = inputsOf(args);
  const { backend } = args;
  const vs = [dy, x, mean, invstd, gamma].map((t) => f32(backend, t!));
  if (vs.some((v) => !v)) return fallback(args);
  const C = x!.shape[x!.shape.length - 1]!;
  const dx = alloc(backend, vs[0]!.length);
  const dgamma = new Float32Array(C);
  const dbeta = new Float32Array(C);
  A.bnAffineBackward(vs[0]!, vs[1]!, vs[2]!, vs[3]!, vs[4]!, dx, dgamma, dbeta, C);
  return [out(backend, x!.shape, dx), out(backend, [C], dgamma), out(backend, [C], dbeta)];
};

/** The inputs x0, x1, … of a weighted-sum kernel, in order. */
function indexedInputs(args: KernelArgs): TensorInfo[] {
  const ins = inputsOf(args);
  const out: TensorInfo[] = [];
  for (let k = 0; ins[`x${k}`]; k++) out.push(ins[`x${k}`]!);
  return out;
}

/** The weights a weighted-sum kernel applies to its inputs, w[index_k] (attr `index`). */
function pickedWeights(args: KernelArgs, w: Float32Array): { wk: Float32Array; index: number[] } {
  const index = ((args.attrs as Attrs)?.index as number[] | undefined) ?? Array.from(w, (_, k) => k);
  return { wk: Float32Array.from(index, (i) => w[i]!), index };
}

const weightedSumKernel: Impl = (args, A) => {
  const { backend } = args;
  const ts = indexedInputs(args);
  const { wk } = pickedWeights(args, f32(backend, inputsOf(args).w!)!);
  const y = alloc(backend, sizeOf(ts[0]!.shape));
  A.weightedSum(ts.map((t) => f32(backend, t)!), wk, y);
  return out(backend, ts[0]!.shape, y);
};

const weightedSumGradKernel: Impl = (args, A) => {
  const { backend } = args;
  const ts = indexedInputs(args);
  const { dy, w } = inputsOf(args);
  const wv = f32(backend, w!)!;
  const { wk, index } = pickedWeights(args, wv);
  const dyv = f32(backend, dy!)!;
  const dxs = ts.map(() => alloc(backend, dyv.length));
  const dwk = new Float32Array(ts.length);
  A.weightedSumGrad(dyv, ts.map((t) => f32(backend, t)!), wk, dxs, dwk);
  const dw = new Float32Array(wv.length);
  index.forEach((i, k) => (dw[i]! += dwk[k]!));
  return [...dxs.map((d, k) => out(backend, ts[k]!.shape, d)), out(backend, w!.shape, dw)];
};

const sgdStepKernel: Impl = (args, A) => {
  const { backend } = args;
  const at = args.attrs as Attrs;
  const n = Number(at.n);
  const ins = inputsOf(args);
  const ps = Array.from({ length: n }, (_, i) => ins[`p${i}`]!);
  const pv = ps.map((t) => f32(backend, t)!);
  const gv = ps.map((_, i) => f32(backend, ins[`g${i}`]!)!);
  const vv = ps.map((_, i) => (ins[`v${i}`] ? f32(backend, ins[`v${i}`]!)! : null));
  const po = pv.map((p) => alloc(backend, p.length));
  const vo = pv.map((p) => alloc(backend, p.length));
  A.sgdStep(pv, gv, vv, po, vo, Number(at.lr), Number(at.momentum), Number(at.weightDecay), !!at.nesterov, Number(at.scale ?? 1));
  return [...po.map((v, i) => out(backend, ps[i]!.shape, v)), ...vo.map((v, i) => out(backend, ps[i]!.shape, v))];
};

const sumSquaresKernel: Impl = (args, A) => {
  const { backend } = args;
  const xs = indexedInputs(args).map((t) => f32(backend, t)!);
  return out(backend, [], Float32Array.of(A.sumSquares(xs)));
};

// ---- data movement: strided copies -----------------------------------------------------------
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

const slice: Impl = (args, A, fallback) => {
  const { x } = inputsOf(args);
  const { backend } = args;
  const at = args.attrs as Attrs;
  const xv = f32(backend, x!);
  if (!xv) return fallback(args);
  const [begin, size] = tf.slice_util.parseSliceParams(x as never, at.begin as number[], at.size as number[]);
  // a contiguous slice is a view in the cpu kernel (no copy): keep that
  if (sizeOf(size) === 0 || tf.slice_util.isSliceContinous(x!.shape, begin, size)) return fallback(args);
  return sliceCopy(backend, A, x!, xv, begin, size);
};

const splitV: Impl = (args, A, fallback) => {
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
    const r = sizeOf(size) === 0 || tf.slice_util.isSliceContinous(x!.shape, begin, size)
      ? (tf.getKernel('Slice', 'cpu')!.kernelFunc({ inputs: { x: x! }, backend, attrs: { begin: begin.slice(), size } }) as TensorInfo)
      : sliceCopy(backend, A, x!, xv, begin, size);
    begin[axis]! += s;
    return r;
  });
};

const transpose: Impl = (args, A, fallback) => {
  const { x } = inputsOf(args);
  const { backend } = args;
  const perm = (args.attrs as Attrs).perm as number[];
  const xv = f32(backend, x!);
  if (!xv || xv.length === 0) return fallback(args);
  const st = stridesOf(x!.shape);
  const shape = perm.map((p) => x!.shape[p]!);
  const o = alloc(backend, xv.length);
  A.copy(xv, 0, perm.map((p) => st[p]!), o, 0, stridesOf(shape), shape);
  return out(backend, shape, o);
};

const reverse: Impl = (args, A, fallback) => {
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

const padV2: Impl = (args, A, fallback) => {
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

const concat: Impl = (args, A, fallback) => {
  const ts = (Array.isArray(args.inputs) ? args.inputs : Object.values(args.inputs)).filter((t) => sizeOf(t.shape) > 0);
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

// ---- threads: all cores, or one while other processes keep the machine busy -----------------
/**
 * With TSNAS_THREADS unset, the engine uses every core while the machine is otherwise idle and
 * drops to one thread while other processes use more than about half a core: an OpenMP region
 * waits for its slowest thread, and on a shared machine that thread is often descheduled, which
 * made two threads 2–3× slower than one (measured on 2 cores with two busy neighbours).
 * Checked at most every 250 ms from /proc (Linux); elsewhere the thread count stays fixed.
 */
class ThreadGovernor {
  private last = 0;
  private prev?: { total: number; idle: number; self: number };
  private current: number;
  constructor(private readonly A: NativeAddon, private readonly max: number, private readonly adaptive: boolean) {
    this.current = A.info().threads;
  }

  tick(): void {
    if (!this.adaptive) return;
    const now = performance.now();
    if (now - this.last < 250) return;
    this.last = now;
    let sample: { total: number; idle: number; self: number };
    try {
      const cpu = readFileSync('/proc/stat', 'latin1').slice(0, 200).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
      const st = readFileSync('/proc/self/stat', 'latin1');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      sample = { total: cpu.reduce((x, y) => x + y, 0), idle: cpu[3]! + (cpu[4] ?? 0), self: Number(f[11]) + Number(f[12]) };
    } catch {
      return;
    }
    const p = this.prev;
    this.prev = sample;
    if (!p || sample.total - p.total < 10) return;
    const others = (sample.total - p.total - (sample.idle - p.idle) - (sample.self - p.self)) / (sample.total - p.total);
    const cores = Math.max(1, os.cpus().length);
    // fraction of the machine used by others: > half a core → one thread; < a sixth → all
    const want = others * cores > 0.5 ? 1 : others * cores < 1 / 6 ? this.max : this.current;
    if (want !== this.current) {
      this.current = want;
      this.A.configure({ threads: want });
    }
  }
}

let governor: ThreadGovernor | undefined;

/** Inference batch-norm (tf.batchNorm): one pass of x·a + b with per-channel a, b. */
const fusedBatchNorm: Impl = (args, A, fallback) => {
  const { x, mean, variance, offset, scale } = inputsOf(args);
  const { backend } = args;
  const xv = f32(backend, x!);
  const C = x!.shape[x!.shape.length - 1] ?? 0;
  const vals = [mean, variance, offset, scale].map((t) => (t ? f32(backend, t) : undefined));
  if (!xv || C === 0 || !vals[0] || !vals[1] || (offset && !vals[2]) || (scale && !vals[3])) return fallback(args);
  // the cpu kernel indexes each parameter cyclically by its own length: per channel when it divides C
  if (vals.some((v) => v !== undefined && C % v.length !== 0)) return fallback(args);
  const eps = Number((args.attrs as Attrs)?.varianceEpsilon ?? 0.001);
  const [m, v, off, sc] = vals as [Float32Array, Float32Array, Float32Array | undefined, Float32Array | undefined];
  const a = new Float32Array(C);
  const b = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    a[c] = (sc ? sc[c % sc.length]! : 1) / Math.sqrt(v[c % v.length]! + eps);
    b[c] = (off ? off[c % off.length]! : 0) - m[c % m.length]! * a[c]!;
  }
  const o = alloc(backend, xv.length);
  A.affine(xv, a, b, o);
  return out(backend, x!.shape, o);
};

/** Kernel name → native implementation. */
const NATIVE_KERNELS: Record<string, Impl> = {
  Conv2D: convKernel(0, false),
  FusedConv2D: convKernel(0, false, true),
  Conv2DBackpropInput: convKernel(1, false),
  Conv2DBackpropFilter: convKernel(2, false),
  DepthwiseConv2dNative: convKernel(0, true),
  DepthwiseConv2dNativeBackpropInput: convKernel(1, true),
  DepthwiseConv2dNativeBackpropFilter: convKernel(2, true),
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  MaxPool: poolKernel(0),
  AvgPool: poolKernel(1),
  MaxPoolGrad: maxPoolGrad,
  AvgPoolGrad: avgPoolGrad(false),
  [AVG_POOL_GRAD_EXCLUDE_PAD_KERNEL]: avgPoolGrad(true),
  AddN: addN,
  FusedBatchNorm: fusedBatchNorm,
  Slice: slice,
  SplitV: splitV,
  Transpose: transpose,
  Reverse: reverse,
  PadV2: padV2,
  Concat: concat,
  Sum: reduceKernel(0, 'axis'),
  Mean: reduceKernel(1, 'axis'),
  Max: reduceKernel(2, 'reductionIndices'),
  Min: reduceKernel(3, 'axis'),
  ...Object.fromEntries(Object.entries(BINARY_OPS).map(([k, op]) => [k, binaryKernel(op)])),
  ...Object.fromEntries(Object.entries(UNARY_OPS).map(([k, op]) => [k, unaryKernel(op)])),
  [BN_AFFINE_FORWARD_KERNEL]: bnAffineForward,
  [WEIGHTED_SUM_KERNEL]: weightedSumKernel,
  [SGD_STEP_KERNEL]: sgdStepKernel,
  [SUM_SQUARES_KERNEL]: sumSquaresKernel,
  [WEIGHTED_SUM_GRAD_KERNEL]: weightedSumGradKernel,
  [BN_AFFINE_BACKWARD_KERNEL]: bnAffineBackward,
  // inputs {a: dy, b: x}; same shapes (the gradient of Relu)
  [RELU_GRAD_KERNEL]: (args, A, fallback) => {
    const { dy, x } = inputsOf(args);
    return binaryKernel(7)({ ...args, inputs: { a: dy!, b: x! } }, A, fallback);
  },
};

/** Names of the kernels the native backend runs in C++ (the rest are the cpu backend's). */
export const NATIVE_KERNEL_NAMES: readonly string[] = Object.keys(NATIVE_KERNELS);

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
 */
export class NativeBackend extends MathBackendCPU {
  /** Size classes in order of the last request for them (a Map iterates in insertion order). */
  private readonly pool = new Map<number, Float32Array[]>();
  private readonly owned = new WeakSet<ArrayBufferLike>();
  private readonly live = new Map<ArrayBufferLike, number>();
  private pooledBytes = 0;
  /** Upper bound on the bytes kept in the pool: TSNAS_NATIVE_POOL_MB, default a quarter of RAM, 1–8 GiB. */
  maxPooledBytes = defaultPoolBytes();

  constructor() {
    super();
    // the cpu backend's "install tfjs-node" notice is misleading here
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** An uninitialised float32 buffer of n elements for a kernel output. */
  alloc(n: number): Float32Array {
    const list = this.pool.get(n) ?? [];
    // move the class to the recent end (an empty one too: it records the request)
    this.pool.delete(n);
    this.pool.set(n, list);
    const b = list.pop();
    if (b) {
      this.pooledBytes -= b.byteLength;
      return b;
    }
    const a = new Float32Array(n);
    this.owned.add(a.buffer);
    return a;
  }

  /** Bytes held in the pool (for tests and diagnostics). */
  get pooledByteCount(): number {
    return this.pooledBytes;
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
    if (bytes > this.maxPooledBytes) return;
    const whole = new Float32Array(buf);
    if (this.pooledBytes + bytes > this.maxPooledBytes) this.evict(bytes, whole.length);
    if (this.pooledBytes + bytes > this.maxPooledBytes) return;
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
      for (const b of list) this.pooledBytes -= b.byteLength;
      this.pool.delete(n);
    }
  }

  /** Drop every pooled buffer (the garbage collector takes them). */
  releasePool(): void {
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

let registered = false;

function register(A: NativeAddon): void {
  if (registered) return;
  tf.registerBackend('native', () => new NativeBackend(), 0);
  const cpuKernels = tf.getKernelsForBackend('cpu');
  const cpuByName = new Map(cpuKernels.map((k) => [k.kernelName, k]));
  for (const k of cpuKernels) {
    if (k.kernelName in NATIVE_KERNELS) continue;
    tf.registerKernel({ ...k, backendName: 'native' });
  }
  const noFallback: KernelFn = () => {
    throw new Error('no cpu fallback for this kernel');
  };
  for (const [name, impl] of Object.entries(NATIVE_KERNELS)) {
    const cpu = cpuByName.get(name);
    const fallback = (cpu?.kernelFunc as unknown as KernelFn | undefined) ?? noFallback;
    tf.registerKernel({
      kernelName: name,
      backendName: 'native',
      kernelFunc: ((args: KernelArgs) => {
        governor?.tick();
        return impl(args, A, fallback);
      }) as unknown as tf.KernelFunc,
    });
  }
  registered = true;
}

/**
 * Threads from TSNAS_THREADS (fixed), else all cores with the load governor (one thread while
 * other processes keep the machine busy; TSNAS_ADAPTIVE_THREADS=0 turns that off).
 */
function configuredThreads(A: NativeAddon): string {
  const env = Number(process.env.TSNAS_THREADS ?? 0);
  const cores = Math.max(1, os.cpus().length);
  if (env > 0) {
    if (A.info().threads !== env) A.configure({ threads: env });
    governor = undefined;
    return `${env} thread${env === 1 ? '' : 's'}`;
  }
  if (A.info().threads !== cores) A.configure({ threads: cores });
  const adaptive = process.env.TSNAS_ADAPTIVE_THREADS !== '0' && cores > 1 && existsSync('/proc/stat');
  governor = new ThreadGovernor(A, cores, adaptive);
  return `${cores} threads${adaptive ? ' (1 while the machine is busy)' : ''}`;
}

/**
 * Load the addon, register the `native` backend (cpu storage, cpu kernels, native hot kernels),
 * make it current, and describe it.
 */
export async function startNativeBackend(): Promise<string> {
  const A = loadNativeAddon();
  register(A);
  if (!(await tf.setBackend('native'))) throw new Error('the native backend failed to initialise');
  const threads = configuredThreads(A);
  const i = A.info();
  return `oneDNN ${i.version} (${i.isa}), ${threads}, ${i.runtime}, ${NATIVE_KERNEL_NAMES.length} native kernels`;
}
