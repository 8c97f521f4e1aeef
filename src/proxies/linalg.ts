/**
 * Small float64 linear algebra for training-free proxies: log-determinant by LU with partial
 * pivoting (what `np.linalg.slogdet` does through LAPACK getrf), symmetric eigenvalues by cyclic
 * Jacobi, and a correlation matrix. Matrices are dense row-major Float64Arrays of n×n.
 */

export interface SlogdetResult {
  /** +1, −1, or 0 when the matrix is singular (then logabsdet = −Infinity). */
  sign: number;
  /** ln |det A|. */
  logabsdet: number;
}

/** sign and ln|det A| of an n×n matrix (A is not modified). */
export function slogdet(a: Float64Array, n: number): SlogdetResult {
  if (a.length !== n * n) throw new Error(`slogdet: expected ${n * n} entries, got ${a.length}`);
  const m = Float64Array.from(a);
  let sign = 1;
  let logdet = 0;
  for (let k = 0; k < n; k++) {
    // Partial pivoting: the largest |entry| in column k at or below the diagonal.
    let p = k;
    let best = Math.abs(m[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(m[i * n + k]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (best === 0 || !Number.isFinite(best)) return { sign: 0, logabsdet: best === 0 ? -Infinity : NaN };
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = m[k * n + j]!;
        m[k * n + j] = m[p * n + j]!;
        m[p * n + j] = t;
      }
      sign = -sign;
    }
    const piv = m[k * n + k]!;
    if (piv < 0) sign = -sign;
    logdet += Math.log(Math.abs(piv));
    const rowK = k * n;
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k]! / piv;
      if (f === 0) continue;
      const rowI = i * n;
      for (let j = k + 1; j < n; j++) m[rowI + j]! -= f * m[rowK + j]!;
    }
  }
  return { sign, logabsdet: logdet };
}

/** NASWOT's score convention: `np.linalg.slogdet(K)[1]`, i.e. ln|det K| whatever the sign. */
export function logAbsDet(a: Float64Array, n: number): number {
  return slogdet(a, n).logabsdet;
}

/** Eigenvalues of a symmetric n×n matrix (cyclic Jacobi; ascending). */
export function symEigenvalues(a: Float64Array, n: number, maxSweeps = 60): Float64Array {
  const m = Float64Array.from(a);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i]! ** 2;
      for (let j = i + 1; j < n; j++) off += m[i * n + j]! ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p]!;
          const akq = m[k * n + q]!;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k]!;
          const aqk = m[q * n + k]!;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const ev = new Float64Array(n);
  for (let i = 0; i < n; i++) ev[i] = m[i * n + i]!;
  return ev.sort();
}

/** `np.corrcoef(rows)`: the n×n Pearson correlation of the rows of an n×d matrix (float64). */
export function corrcoef(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const c = new Float64Array(n * d);
  const norm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let mu = 0;
    for (let k = 0; k < d; k++) mu += x[i * d + k]!;
    mu /= d;
    let ss = 0;
    for (let k = 0; k < d; k++) {
      const v = x[i * d + k]! - mu;
      c[i * d + k] = v;
      ss += v * v;
    }
    norm[i] = Math.sqrt(ss);
  }
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += c[i * d + k]! * c[j * d + k]!;
      const v = s / (norm[i]! * norm[j]!);
      r[i * n + j] = v;
      r[j * n + i] = v;
    }
  }
  return r;
}
