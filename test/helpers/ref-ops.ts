/**
 * Float64 reference implementations (NHWC) for gradient checks: plain loops, written from the
 * definitions, independent of TF.js.
 */
export interface Arr4 {
  data: Float64Array;
  shape: [number, number, number, number];
}

export function arr4(shape: [number, number, number, number], data?: ArrayLike<number>): Arr4 {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: data ? Float64Array.from(data) : new Float64Array(n) };
}

export interface ConvSpec {
  stride: number;
  pad: number;
  dilation: number;
  depthwise: boolean;
}

/** y[n,o,p,co] = Σ x[n, o·s + i·d − pad, p·s + j·d − pad, ci] · w[i,j,ci,co] (depthwise: ci = co). */
export function conv2dRef(x: Arr4, w: Arr4, s: ConvSpec): Arr4 {
  const [N, H, W, C] = x.shape;
  const [K, K2, , M] = w.shape;
  const cout = s.depthwise ? C : M;
  const ho = Math.floor((H + 2 * s.pad - (K - 1) * s.dilation - 1) / s.stride) + 1;
  const wo = Math.floor((W + 2 * s.pad - (K2 - 1) * s.dilation - 1) / s.stride) + 1;
  const y = arr4([N, ho, wo, cout]);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < ho; o++)
      for (let p = 0; p < wo; p++)
        for (let co = 0; co < cout; co++) {
          let acc = 0;
          for (let i = 0; i < K; i++) {
            const ih = o * s.stride + i * s.dilation - s.pad;
            if (ih < 0 || ih >= H) continue;
            for (let j = 0; j < K2; j++) {
              const iw = p * s.stride + j * s.dilation - s.pad;
              if (iw < 0 || iw >= W) continue;
              if (s.depthwise) acc += x.data[((n * H + ih) * W + iw) * C + co]! * w.data[(i * K2 + j) * C + co]!;
              else for (let ci = 0; ci < C; ci++) acc += x.data[((n * H + ih) * W + iw) * C + ci]! * w.data[((i * K2 + j) * C + ci) * M + co]!;
            }
          }
          y.data[((n * ho + o) * wo + p) * cout + co] = acc;
        }
  return y;
}

/** 3×3-style pooling with padding excluded (count_include_pad=False, −∞ pads for max). */
export function poolRef(x: Arr4, kind: 'avg' | 'max', k: number, stride: number, pad: number): Arr4 {
  const [N, H, W, C] = x.shape;
  const ho = Math.floor((H + 2 * pad - k) / stride) + 1;
  const wo = Math.floor((W + 2 * pad - k) / stride) + 1;
  const y = arr4([N, ho, wo, C]);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < ho; o++)
      for (let p = 0; p < wo; p++)
        for (let c = 0; c < C; c++) {
          let acc = kind === 'max' ? -Infinity : 0;
          let cnt = 0;
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) {
              const ih = o * stride + i - pad,
                iw = p * stride + j - pad;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const v = x.data[((n * H + ih) * W + iw) * C + c]!;
              acc = kind === 'max' ? Math.max(acc, v) : acc + v;
              cnt++;
            }
          y.data[((n * ho + o) * wo + p) * C + c] = kind === 'max' ? acc : acc / cnt;
        }
  return y;
}

/** Training-mode batch normalisation without affine part, over N, H, W. */
export function bnRef(x: Arr4, eps = 1e-5): Arr4 {
  const [N, H, W, C] = x.shape;
  const y = arr4(x.shape);
  const m = N * H * W;
  for (let c = 0; c < C; c++) {
    let mu = 0;
    for (let i = 0; i < m; i++) mu += x.data[i * C + c]!;
    mu /= m;
    let v = 0;
    for (let i = 0; i < m; i++) v += (x.data[i * C + c]! - mu) ** 2;
    v /= m;
    const inv = 1 / Math.sqrt(v + eps);
    for (let i = 0; i < m; i++) y.data[i * C + c] = (x.data[i * C + c]! - mu) * inv;
  }
  return y;
}

export function dot(a: Float64Array, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * r[i]!;
  return s;
}

/** Central differences of f at x (float64), one coordinate at a time. */
export function numericGrad(x: Float64Array, f: () => number, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v + h;
    const fp = f();
    x[i] = v - h;
    const fm = f();
    x[i] = v;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** max |a − b| / (1 + max |b|). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0,
    m = 0;
  for (let i = 0; i < b.length; i++) {
    e = Math.max(e, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return e / (1 + m);
}
