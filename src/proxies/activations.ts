/**
 * One forward pass, every ReLU's input read once: the binary codes (x > 0) per ReLU layer, packed
 * to bits, with their pairwise Hamming distances. Everything NASWOT and the DAS family need is
 * derived from these statistics, so a pool of proxies costs one forward pass.
 */
import { tf, type Tensor, type Tensor4D } from '../engine/tf.js';
import type { Network } from '../nn/network.js';
import { ReleasingPass } from '../nn/release.js';
import { readTransient } from '../engine/read-transient.js';
import { addHamming, packCodes, rowPopcounts, symmetrize } from './bits.js';

export interface ReluLayerStats {
  /** Units of this ReLU (per sample). */
  units: number;
  /** How many ReLU modules read this very tensor (NB201 cells feed one node to several ReLUs). */
  multiplicity: number;
  /** Pairwise Hamming distances of the codes, B×B symmetric, zero diagonal. */
  hamming: Float64Array;
  /** Active units per sample. */
  active: Float64Array;
}

export interface ActivationStats {
  batch: number;
  layers: ReluLayerStats[];
  /** N_A: all units over all ReLU modules (with multiplicity), as NASWOT's accumulated K counts them. */
  totalUnits: number;
  /** Σ_l m_l · D_l: the whole-network Hamming matrix. */
  hamming: Float64Array;
  /** Seconds spent in the forward pass and in the bit kernel. */
  timing: { forward: number; codes: number };
}

/**
 * Run `net` on `x` with BN in train mode (batch statistics, as NASWOT's official code leaves the
 * network in train mode) and collect the ReLU-input codes. The official code runs a forward and a
 * backward pass first only to mark the hooked modules as visited, then a second forward on the same
 * batch fills K: with batch statistics the second pass sees the same activations as the first, so
 * one forward pass gives the identical kernel.
 */
export function collectActivationStats(net: Network, x: Tensor4D): ActivationStats {
  const batch = x.shape[0];
  const layers: ReluLayerStats[] = [];
  const byTensor = new Map<number, ReluLayerStats>();
  let codeSec = 0;
  const t0 = performance.now();
  // nothing but the codes is kept, so activations are freed at the network's cuts as it goes
  const release = new ReleasingPass();
  tf.tidy(() => {
    release.run(() =>
      net.forward(x, {
        training: true,
        release,
        hooks: {
          relu: (t: Tensor) => {
            const seen = byTensor.get(t.id);
            if (seen) {
              seen.multiplicity++;
              return;
            }
            const data = readTransient(t);
            const c0 = performance.now();
            const units = t.size / batch;
            const words = (units + 31) >>> 5;
            const packed = packCodes(data, batch, units);
            const hamming = new Float64Array(batch * batch);
            addHamming(packed, batch, words, hamming);
            symmetrize(hamming, batch);
            const layer: ReluLayerStats = { units, multiplicity: 1, hamming, active: rowPopcounts(packed, batch, words) };
            layers.push(layer);
            byTensor.set(t.id, layer);
            codeSec += (performance.now() - c0) / 1000;
          },
        },
      }),
    );
  });
  const total = (performance.now() - t0) / 1000;
  let totalUnits = 0;
  const hamming = new Float64Array(batch * batch);
  for (const l of layers) {
    totalUnits += l.units * l.multiplicity;
    for (let k = 0; k < hamming.length; k++) hamming[k]! += l.multiplicity * l.hamming[k]!;
  }
  return { batch, layers, totalUnits, hamming, timing: { forward: total - codeSec, codes: codeSec } };
}
