/**
 * Loading and typing the C++ addon (native/src/). Kernel families whose kernels differ only by
 * op are objects of functions keyed by name (TF.js's kernel name where there is one), so the TS
 * side binds each kernel by name once, when the backend registers, and never holds a numeric op
 * code; `named` turns a name the addon lacks (a stale build) into a clear error.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** binary.<op>(a, aInner, aSize, b, bInner, bSize, out): out = op(a, b), operands addressed as x[(i / inner) % size]. */
export type BinaryFn = (a: Float32Array, ai: number, as: number, b: Float32Array, bi: number, bs: number, out: Float32Array) => void;
/** unary.<op>(x, out[, alpha]); alpha is Step's value where x ≤ 0. */
export type UnaryFn = (x: Float32Array, out: Float32Array, alpha?: number) => void;
/** reduce.<op>(x, out, A, R, B): out[a, b] = op over r of x[a, r, b]. */
export type ReduceFn = (x: Float32Array, out: Float32Array, A: number, R: number, B: number) => void;
/** pool.<op>(x, y, p), p = [N, IH, IW, C, OH, OW, KH, KW, SH, SW, PT, PL]. */
export type PoolFn = (x: Float32Array, y: Float32Array, p: Int32Array) => void;
/**
 * conv.<kind>(a, b, out, p[, bias, activation]); false when oneDNN has no primitive (the caller
 * falls back). bias and activation ('linear' | 'relu', a oneDNN post-op) for `forward` only.
 */
export type ConvFn = (a: Float32Array, b: Float32Array, out: Float32Array, p: Int32Array, bias?: Float32Array | null, activation?: ConvActivation) => boolean;

export type BinaryOp = 'Add' | 'Sub' | 'Multiply' | 'RealDiv' | 'Maximum' | 'Minimum' | 'SquaredDifference' | 'ReluGrad';
export type UnaryOp = 'Relu' | 'Step' | 'Relu6' | 'Neg' | 'Square' | 'Sqrt' | 'Rsqrt' | 'Exp' | 'Log' | 'Abs' | 'Sigmoid' | 'Tanh';
export type ReduceOp = 'Sum' | 'Mean' | 'Max' | 'Min';
export type PoolOp = 'MaxPool' | 'AvgPool';
/** forward (a = x, b = w, out = y), backwardInput (a = dy, b = w, out = dx), backwardFilter (a = x, b = dy, out = dw) */
export type ConvKind = 'forward' | 'backwardInput' | 'backwardFilter';
export type ConvActivation = 'linear' | 'relu';

/** The addon's interface (native/src/*.cc; addon.cc exports it). */
export interface NativeAddon {
  conv: Readonly<Record<ConvKind, ConvFn>>;
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, p: Int32Array): boolean;
  binary: Readonly<Record<BinaryOp, BinaryFn>>;
  unary: Readonly<Record<UnaryOp, UnaryFn>>;
  reduce: Readonly<Record<ReduceOp, ReduceFn>>;
  pool: Readonly<Record<PoolOp, PoolFn>>;
  weightedSum(xs: Float32Array[], w: Float32Array, y: Float32Array): void;
  sgdStep(
    p: Float32Array[],
    g: Float32Array[],
    v: (Float32Array | null)[],
    pOut: Float32Array[],
    vOut: Float32Array[],
    lr: number,
    momentum: number,
    weightDecay: number,
    nesterov: boolean,
    scale: number,
  ): void;
  sumSquares(xs: Float32Array[]): number;
  weightedSumGrad(dy: Float32Array, xs: Float32Array[], w: Float32Array, dxs: Float32Array[], dw: Float32Array): void;
  bnAffineForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, invstd: Float32Array, C: number, eps: number, variance?: Float32Array): void;
  bnAffineBackward(dy: Float32Array, x: Float32Array, mean: Float32Array, invstd: Float32Array, gamma: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, C: number): void;
  /** NASWOT codes: bit-pack (x > 0) per row; add popcount Hamming distances of row pairs (i < j). */
  packCodes(x: Float32Array, batch: number, units: number, out: Uint32Array): void;
  addHamming(codes: Uint32Array, batch: number, words: number, dist: Float64Array, mult: number): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, p: Int32Array): void;
  avgPoolGrad(dy: Float32Array, dx: Float32Array, p: Int32Array, excludePad?: boolean): void;
  addN(xs: Float32Array[], out: Float32Array): void;
  copy(src: Float32Array, srcOffset: number, srcStrides: number[], dst: Float32Array, dstOffset: number, dstStrides: number[], shape: number[]): void;
  fill(dst: Float32Array, value: number): void;
  affine(x: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** Give the whole pages inside `a` back to the OS (madvise DONTNEED; they read as zeros after); returns the bytes. */
  discard(a: Float32Array): number;
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

/** The families of named kernels. */
type NamedFamilies = { [F in keyof NativeAddon as NativeAddon[F] extends (...args: never[]) => unknown ? never : F]: NativeAddon[F] };

/**
 * The addon's `family` kernel called `name`, resolved once (at registration); an Error naming the
 * kernel and what the addon has when it is missing (an addon built from older sources).
 */
export function named<F extends keyof NamedFamilies, N extends keyof NamedFamilies[F]>(A: NativeAddon, family: F, name: N): NamedFamilies[F][N] {
  const table = A[family] as unknown as Record<string, unknown> | undefined;
  const fn = table && Object.hasOwn(table, name) ? table[name as string] : undefined;
  if (typeof fn !== 'function') {
    const has = table ? Object.keys(table).join(', ') : 'none';
    throw new Error(`the native addon has no ${family} kernel '${String(name)}' (it has: ${has}); rebuild it with \`npm run build:native\``);
  }
  return fn as NamedFamilies[F][N];
}

const ADDON_REL = join('native', 'build', 'Release', 'tsnas_native.node');
let addon: NativeAddon | undefined;

/** Locate and load the addon; throws an Error naming `npm run build:native` when absent. */
export function loadNativeAddon(): NativeAddon {
  if (addon) return addon;
  // walk up to the repository root: 3 levels from src/engine/native/, 4 from dist/src/engine/native/
  let dir = dirname(fileURLToPath(import.meta.url));
  let path: string | undefined;
  for (let i = 0; i < 8; i++) {
    const p = join(dir, ADDON_REL);
    if (existsSync(p)) {
      path = p;
      break;
    }
    dir = dirname(dir);
  }
  if (!path) {
    throw new Error('the native addon is not built (native/build/Release/tsnas_native.node is missing): ' + 'run `apt-get install libdnnl-dev` and `npm run build:native`');
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
