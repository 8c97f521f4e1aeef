/**
 * Export a trained run (a run directory of `tsnas train` / `dtb`, or `runTraining`) as a TF.js
 * LayersModel that loads with plain `tf.loadLayersModel`, with its genotype and a model card.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../engine/tf.js';
import { resolveSpace } from '../spaces/index.js';
import { loadRun } from './run.js';
import { readRunConfig } from './trainer.js';
import { measureLatency, saveLayersModel, toLayersModel } from './export-tfjs.js';

/** What model_card.json holds. */
export interface ModelCard {
  format: 'tfjs-layers-model';
  tsnas_version: string;
  tfjs_version: string;
  space: string;
  genotype: string;
  input: { shape: number[]; layout: 'NHWC'; range: string; normalization: { mean: number[]; std: number[] } | null; included_in_model: boolean };
  num_classes: number;
  params: number;
  flops_per_image: number;
  accuracy: Record<string, number>;
  epochs: number;
  dataset: unknown;
  recipe: unknown;
  latency: ReturnType<typeof measureLatency>;
  files: string[];
}

/** Export the run in `runDir` to `outDir` (model.json, weights.bin, genotype.txt, model_card.json, MODEL_CARD.md); returns the model card. */
export async function exportRun(runDir: string, outDir: string, o: { normalize?: boolean; latencyReps?: number } = {}): Promise<ModelCard> {
  // a run of a space module (--space ./my-space.ts) needs the module imported before its network is built
  const space = (readRunConfig(runDir) as { net?: { space?: unknown } }).net?.space;
  if (typeof space === 'string') await resolveSpace(space);
  const run = loadRun(runDir);
  try {
    const norm = run.config.normalization;
    const include = (o.normalize ?? true) && !!norm;
    const model = toLayersModel(run.net, { normalization: include ? norm : undefined, name: 'tsnas_' + run.arch.space });
    try {
      await saveLayersModel(model, outDir);
      const latency = measureLatency(model, o.latencyReps ?? 20);
      const last = run.history[run.history.length - 1];
      const accuracy: Record<string, number> = {};
      if (last) for (const [k, v] of Object.entries(last)) if (k.endsWith('_acc')) accuracy[k] = v;
      const card: ModelCard = {
        format: 'tfjs-layers-model',
        tsnas_version: '0.1.0',
        tfjs_version: tf.version.tfjs,
        space: run.arch.space,
        genotype: run.arch.text,
        input: {
          shape: [...run.shape],
          layout: 'NHWC',
          range: include ? '[0, 1] pixels' : 'normalised pixels (x - mean) / std',
          normalization: norm ?? null,
          included_in_model: include,
        },
        num_classes: run.numClasses,
        params: run.config.params,
        flops_per_image: run.config.flops,
        accuracy,
        epochs: last?.epoch ?? 0,
        dataset: run.config.data,
        recipe: run.config.recipe,
        latency,
        files: ['model.json', 'weights.bin', 'genotype.txt', 'model_card.json', 'MODEL_CARD.md'],
      };
      writeFileSync(join(outDir, 'genotype.txt'), `${run.arch.text}\n`);
      writeFileSync(join(outDir, 'model_card.json'), `${JSON.stringify(card, null, 2)}\n`);
      writeFileSync(join(outDir, 'MODEL_CARD.md'), modelCardMd(card));
      return card;
    } finally {
      model.dispose();
    }
  } finally {
    run.net.dispose();
  }
}

function modelCardMd(c: ModelCard): string {
  const acc =
    Object.entries(c.accuracy)
      .map(([k, v]) => `${k} ${v.toFixed(2)}%`)
      .join(', ') || 'n/a';
  return `# Model card: tsnas ${c.space} evaluation network

- Genotype: \`${c.genotype}\`
- Parameters: ${c.params} (${(c.params / 1e6).toFixed(4)} M); FLOPs per image: ${c.flops_per_image} (${(c.flops_per_image / 1e6).toFixed(3)} M)
- Input: ${c.input.shape.join('×')} ${c.input.layout}, ${c.input.range}${c.input.normalization ? `; mean ${JSON.stringify(c.input.normalization.mean.map((v) => +v.toFixed(6)))}, std ${JSON.stringify(c.input.normalization.std.map((v) => +v.toFixed(6)))} (${c.input.included_in_model ? "applied by the model's first layer" : 'apply before predict'})` : ''}
- Output: ${c.num_classes} logits (apply softmax for probabilities)
- Accuracy after ${c.epochs} epochs: ${acc}
- Dataset: ${JSON.stringify(c.dataset)}
- Training recipe: ${JSON.stringify(c.recipe)}
- Latency (model.predict, batch ${c.latency.batch}, TF.js ${c.tfjs_version} ${c.latency.backend} backend in Node, median of ${c.latency.reps}): ${c.latency.median_ms.toFixed(2)} ms (p90 ${c.latency.p90_ms.toFixed(2)} ms)

## Use

\`\`\`js
import * as tf from '@tensorflow/tfjs';
const model = await tf.loadLayersModel('path/to/model.json');
const logits = model.predict(images); // images: float32 [n, ${c.input.shape.join(', ')}]
\`\`\`
`;
}
