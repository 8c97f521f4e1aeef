/**
 * examples/web in headless Chromium: a tiny NB201 network trained a few steps on an image folder
 * (two named classes) and exported with `exportRun`; the page, served from localhost with TF.js
 * and its wasm backend from node_modules, loads it with plain TF.js, is given the same PNG files
 * as Node through its file input, and its probabilities must equal Node's (TF.js wasm backend,
 * the exported model, the PNGs decoded with pngjs) within 1e-4 with the same argmax, with the
 * class names of the model card shown. The page may make no request off localhost. Skipped when
 * Chromium is absent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { DEFAULT_RECIPE } from '../../src/train/trainer.js';
import { runTraining, type RunConfig } from '../../src/train/run.js';
import { exportRun, type ModelCard } from '../../src/train/export-run.js';
import { startStaticServer, tfjsDistDirs, type StaticServer } from '../../src/deploy/static-server.js';
import type { Chromium } from '../../src/deploy/chromium.js';
import { chromiumSkip, openChromium } from '../helpers/chromium.js';
import { Rng } from '../../src/util/rng.js';

const skip = chromiumSkip('example web page test');
const WEB = resolve(import.meta.dirname, '..', '..', 'examples', 'web');
const SIZE = 12;
const CLASSES = ['stripes', 'dots']; // listed out of name order: the card must keep label order

let dir = '';
let model = '';
let card: ModelCard;
const images: { name: string; file: string }[] = [];
let server: StaticServer | undefined;
let browser: Chromium | undefined;

/** A SIZE×SIZE RGB PNG: stripes or dots in random colours, plus noise. */
function png(kind: string, rng: Rng): Buffer {
  const p = new PNG({ width: SIZE, height: SIZE });
  const col = [rng.int(256), rng.int(256), rng.int(256)];
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const on = kind === 'stripes' ? y % 3 === 0 : x % 4 === 1 && y % 4 === 1;
      for (let c = 0; c < 3; c++) p.data[(y * SIZE + x) * 4 + c] = Math.min(255, (on ? col[c]! : 30) + rng.int(40));
      p.data[(y * SIZE + x) * 4 + 3] = 255;
    }
  return PNG.sync.write(p);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsnas-web-'));
  const rng = new Rng(7);
  for (const split of ['train', 'test'])
    for (const k of CLASSES) {
      mkdirSync(join(dir, split, k), { recursive: true });
      for (let i = 0; i < (split === 'train' ? 12 : 3); i++) {
        const file = join(dir, split, k, `${k}-${i}.png`);
        writeFileSync(file, png(k, rng));
        if (split === 'test') images.push({ name: `${k}-${i}.png`, file });
      }
    }
  await initBackend('wasm');
  const cfg: RunConfig = {
    net: { space: 'nb201', arch: '|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|', C: 4, N: 1, initSeed: 1 },
    data: { dataset: 'folder', dataDir: join(dir, 'train'), folder: { testDir: join(dir, 'test'), classNames: CLASSES, imageSize: SIZE, cacheDir: false } },
    recipe: { ...DEFAULT_RECIPE, epochs: 2, batch: 8, lr: 0.05, cropPadding: 0, flip: false, seed: 1 },
  };
  const run = join(dir, 'run');
  runTraining(cfg, { runDir: run });
  model = join(run, 'tfjs');
  card = await exportRun(run, model, { latencyReps: 2 });
  if (skip) return;
  const dist = tfjsDistDirs();
  server = await startStaticServer({ '/model/': model, '/tfjs/': dist.tfjs, '/tfjs-wasm/': dist.wasm, '/': WEB });
  browser = await openChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Node's probabilities for a PNG: the exported model loaded with plain TF.js, pixels / 255. */
async function nodeProbabilities(files: string[]): Promise<number[][]> {
  const json = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
  const w = readFileSync(join(model, 'weights.bin'));
  const weightData = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer;
  const m = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
  try {
    return files.map((f) => {
      const p = PNG.sync.read(readFileSync(f));
      const rgb = new Float32Array(SIZE * SIZE * 3);
      for (let i = 0; i < SIZE * SIZE; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = p.data[i * 4 + c]! / 255;
      return tf.tidy(() => Array.from(tf.softmax(m.predict(tf.tensor4d(rgb, [1, SIZE, SIZE, 3])) as tf.Tensor).dataSync()));
    });
  } finally {
    m.dispose();
  }
}

test('the model card names the classes in label order', () => {
  assert.deepEqual(card.classes, CLASSES);
  assert.deepEqual(card.input.shape, [SIZE, SIZE, 3]);
  assert.ok(card.input.included_in_model);
});

test('the example page classifies the images as Node does (1e-4, same argmax), offline', { skip }, async () => {
  const page = await browser!.context.newPage();
  const foreign: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => void (r.url().startsWith(server!.url) || r.url().startsWith('blob:') || r.url().startsWith('data:') || foreign.push(r.url())));
  page.on('pageerror', (e) => errors.push(e.message));
  const q = new URLSearchParams({ model: '/model/', tfjs: '/tfjs/tf.min.js', backend: 'wasm', wasm: '/tfjs-wasm/', top: '2' });
  await page.goto(`${server!.url}/index.html?${q}`);
  await page.waitForFunction(() => (window as any).tsnasReady || (window as any).tsnasError);
  assert.equal(await page.evaluate(() => (window as any).tsnasError ?? null), null);
  await page.setInputFiles(
    '#file',
    images.map((i) => i.file),
  );
  await page.waitForFunction((n) => (window as any).tsnasResults.length === n, images.length);
  const got: { file: string; probabilities: number[]; top: { label: string; p: number }[] }[] = await page.evaluate(() => (window as any).tsnasResults);
  const want = await nodeProbabilities(images.map((i) => i.file));
  const argmax = (v: number[]) => v.indexOf(Math.max(...v));
  for (const [k, img] of images.entries()) {
    const g = got.find((r) => r.file === img.name)!;
    assert.ok(g, `a result for ${img.name}`);
    const diff = Math.max(...g.probabilities.map((p, i) => Math.abs(p - want[k]![i]!)));
    assert.ok(diff <= 1e-4, `${img.name}: max |browser − node| = ${diff}`);
    assert.equal(argmax(g.probabilities), argmax(want[k]!), img.name);
    assert.equal(g.top[0]!.label, CLASSES[argmax(want[k]!)], `${img.name}: the top class is named from the model card`);
  }
  const shown = await page.locator('#results table').count();
  assert.equal(shown, images.length);
  assert.deepEqual(foreign, [], 'no request leaves localhost');
  assert.deepEqual(errors, []);
  await page.close();
});
