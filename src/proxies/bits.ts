/**
 * Bit-packed binary activation codes and their Hamming distances by popcount: NASWOT's kernel
 * K_H[i,j] = N_A − d_H(c_i, c_j) without a single floating-point matmul (docs/ENGINE.md, "NASWOT's
 * kernel hot spot").
 *
 * `packCodes` and `addHamming` run in the native addon when it is built (OpenMP over rows, the
 * CPU's popcount instruction): on a 2-core Xeon the JS versions took longer than the network's
 * forward pass (BENCHMARKS.md). The JS versions (`…Js`) are the reference the tests compare with;
 * `TSNAS_NATIVE_CODES=0` forces them.
 */
import { loadNativeAddon, nativeAvailable, type NativeAddon } from '../engine/native/index.js';

let nativeCodes: Pick<NativeAddon, 'packCodes' | 'addHamming'> | null | undefined;
function native(): Pick<NativeAddon, 'packCodes' | 'addHamming'> | null {
  if (nativeCodes === undefined) {
    const on = process.env.TSNAS_NATIVE_CODES !== '0' && nativeAvailable();
    const a = on ? loadNativeAddon() : undefined;
    nativeCodes = a && typeof a.packCodes === 'function' && typeof a.addHamming === 'function' ? a : null;
  }
  return nativeCodes;
}

/** Pack (x > 0) of each of the B rows of `data` (B×units, row-major) into ceil(units/32) words. */
export function packCodes(data: ArrayLike<number>, batch: number, units: number): Uint32Array {
  const n = native();
  if (!n || !(data instanceof Float32Array) || data.length !== batch * units) return packCodesJs(data, batch, units);
  const out = new Uint32Array(batch * ((units + 31) >>> 5));
  n.packCodes(data, batch, units, out);
  return out;
}

/**
 * Add the pairwise Hamming distances of the packed codes (B rows of `words` words) into `dist`
 * (B×B, only the strict upper triangle i<j is written; the caller mirrors it), each times `mult`.
 */
export function addHamming(codes: Uint32Array, batch: number, words: number, dist: Float64Array, mult = 1): void {
  const n = native();
  if (!n || codes.length !== batch * words || dist.length !== batch * batch) return addHammingJs(codes, batch, words, dist, mult);
  n.addHamming(codes, batch, words, dist, mult);
}

/** `packCodes` in JS. */
export function packCodesJs(data: ArrayLike<number>, batch: number, units: number): Uint32Array {
  const words = (units + 31) >>> 5;
  const out = new Uint32Array(batch * words);
  for (let b = 0; b < batch; b++) {
    const base = b * units;
    const obase = b * words;
    let u = 0;
    for (let w = 0; w < words; w++) {
      const end = Math.min(units, u + 32);
      let word = 0;
      let bit = 0;
      for (; u < end; u++, bit++) if (data[base + u]! > 0) word |= 1 << bit;
      out[obase + w] = word >>> 0;
    }
  }
  return out;
}

/** Number of set bits of a 32-bit word (SWAR). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** `addHamming` in JS. */
export function addHammingJs(codes: Uint32Array, batch: number, words: number, dist: Float64Array, mult = 1): void {
  for (let i = 0; i < batch; i++) {
    const oi = i * words;
    for (let j = i + 1; j < batch; j++) {
      const oj = j * words;
      let total = 0;
      let w = 0;
      while (w < words) {
        // Byte-wise partial counts (≤ 8 per byte) can be summed over 31 words before a byte overflows.
        const end = Math.min(words, w + 31);
        let acc = 0;
        for (; w < end; w++) {
          let x = codes[oi + w]! ^ codes[oj + w]!;
          x = x - ((x >>> 1) & 0x55555555);
          x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
          acc = (acc + ((x + (x >>> 4)) & 0x0f0f0f0f)) | 0;
        }
        // Each byte of acc holds ≤ 31·8 = 248, so no carry crossed a byte: fold the four bytes.
        total += (acc & 0xff) + ((acc >>> 8) & 0xff) + ((acc >>> 16) & 0xff) + ((acc >>> 24) & 0xff);
      }
      dist[i * batch + j]! += mult * total;
    }
  }
}

/** Number of active units of each row (for activation-fraction statistics). */
export function rowPopcounts(codes: Uint32Array, batch: number, words: number): Float64Array {
  const out = new Float64Array(batch);
  for (let i = 0; i < batch; i++) {
    let s = 0;
    for (let w = 0; w < words; w++) s += popcount32(codes[i * words + w]!);
    out[i] = s;
  }
  return out;
}

/** Mirror the strict upper triangle into the lower one. */
export function symmetrize(m: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) m[j * n + i] = m[i * n + j]!;
}
