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
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { initBackend } from '../../src/engine/backend.js';
import { DEFAULT_RECIPE } from '../../src/train/trainer.js';
import { runTraining, type RunConfig } from '../../src/train/run.js';
import { exportRun, type ModelCard } from '../../src/train/export-run.js';
import type { StaticServer } from '../../src/deploy/static-server.js';
import type { Chromium } from '../../src/deploy/chromium.js';
import { chromiumSkip, openChromium } from '../helpers/chromium.js';
import { argmax, classifyInPage, decodeFiles, nodeProbabilities, servePage } from '../helpers/web-page.js';
import { Rng } from '../../src/util/rng.js';

const skip = chromiumSkip('example web page test');
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
  server = await servePage(model);
  browser = await openChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the model card names the classes in label order', () => {
  assert.deepEqual(card.classes, CLASSES);
  assert.deepEqual(card.input.shape, [SIZE, SIZE, 3]);
  assert.ok(card.input.included_in_model);
});

test('the example page classifies the images as Node does (1e-4, same argmax), offline', { skip }, async () => {
  const files = images.map((i) => i.file);
  const { results, shown, foreign, errors } = await classifyInPage(browser!, server!, files);
  const want = await nodeProbabilities(model, decodeFiles(files));
  for (const [k, img] of images.entries()) {
    const g = results[k]!;
    const diff = Math.max(...g.probabilities.map((p, i) => Math.abs(p - want[k]![i]!)));
    assert.ok(diff <= 1e-4, `${img.name}: max |browser − node| = ${diff}`);
    assert.equal(argmax(g.probabilities), argmax(want[k]!), img.name);
    assert.equal(g.top[0]!.label, CLASSES[argmax(want[k]!)], `${img.name}: the top class is named from the model card`);
  }
  assert.equal(shown, images.length);
  assert.deepEqual(foreign, [], 'no request leaves localhost');
  assert.deepEqual(errors, []);
});
