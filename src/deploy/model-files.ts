/**
 * A TF.js LayersModel as the files a browser downloads (model.json + one weights.bin, float32),
 * produced synchronously in memory. `model.save()` writes the same artifacts but is async; the
 * objectives (`size`, `latency:browser`) are synchronous functions of an architecture, so the
 * artifacts are assembled here from the same pieces `save()` uses: `toJSON(null, false)` for the
 * topology and `model.weights` (their `originalName`s, in that order) for the manifest.
 */
import { tf } from '../engine/tf.js';

/** model.json's content and the bytes of its one weights file. */
export interface ModelFiles {
  /** model.json as text (topology, format, weights manifest naming `weights.bin`). */
  modelJson: string;
  /** weights.bin: every weight, float32, in manifest order. */
  weights: Uint8Array;
}

/** The name of the weights file the manifest points to. */
export const WEIGHTS_FILE = 'weights.bin';

/** Serialise a LayersModel to its download files (no disk, no async). */
export function layersModelFiles(model: tf.LayersModel, o: { convertedBy?: string } = {}): ModelFiles {
  const specs: { name: string; shape: number[]; dtype: 'float32' }[] = [];
  const parts: Uint8Array[] = [];
  for (const w of model.weights) {
    const data = w.read().dataSync() as Float32Array;
    specs.push({ name: w.originalName, shape: [...w.shape] as number[], dtype: 'float32' });
    parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  const weights = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    weights.set(p, at);
    at += p.length;
  }
  const json = {
    modelTopology: model.toJSON(null, false),
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: o.convertedBy ?? 'tsnas export',
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
  };
  return { modelJson: JSON.stringify(json), weights };
}

/** Download size in bytes: model.json plus the weights file. */
export function downloadBytes(f: ModelFiles): number {
  return Buffer.byteLength(f.modelJson) + f.weights.byteLength;
}
