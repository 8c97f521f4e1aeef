/**
 * The example web page (examples/web) against Node, for the tests that check an exported model's
 * predictions in headless Chromium: Node's probabilities from the exported files loaded with plain
 * TF.js, and the page's (with the pixels it read) for the same image files given to its file input.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { tf } from '../../src/engine/tf.js';
import { decodeImage, type DecodedImage } from '../../src/data/folder.js';
import { startStaticServer, tfjsDistDirs, type StaticServer } from '../../src/deploy/static-server.js';
import type { Chromium } from '../../src/deploy/chromium.js';

export const WEB_PAGE_DIR = resolve(import.meta.dirname, '..', '..', 'examples', 'web');

/** The files decoded by tsnas's decoder (pngjs, jpeg-js), as Node's side sees them. */
export function decodeFiles(files: readonly string[]): DecodedImage[] {
  return files.map((f) => decodeImage(readFileSync(f), f));
}

/**
 * Node's probabilities for images of the model's input size: the exported model.json and
 * weights.bin loaded with plain TF.js (no tsnas code), pixels / 255.
 */
export async function nodeProbabilities(modelDir: string, images: readonly DecodedImage[]): Promise<number[][]> {
  const json = JSON.parse(readFileSync(resolve(modelDir, 'model.json'), 'utf8'));
  const w = readFileSync(resolve(modelDir, 'weights.bin'));
  const weightData = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer;
  const m = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
  try {
    return images.map((img) => {
      const x = Float32Array.from(img.data, (v) => v / 255);
      return tf.tidy(() => Array.from(tf.softmax(m.predict(tf.tensor4d(x, [1, img.height, img.width, img.channels])) as tf.Tensor).dataSync()));
    });
  } finally {
    m.dispose();
  }
}

/** A localhost server for the page, TF.js and its wasm backend from node_modules, and the model at /model/. */
export function servePage(modelDir: string): Promise<StaticServer> {
  const dist = tfjsDistDirs();
  return startStaticServer({ '/model/': modelDir, '/tfjs/': dist.tfjs, '/tfjs-wasm/': dist.wasm, '/': WEB_PAGE_DIR });
}

export interface PageResult {
  file: string;
  probabilities: number[];
  top: { label: string; p: number }[];
  /** The RGB pixels the page fed the model (its canvas, as the browser decoded and drew the file). */
  pixels: DecodedImage;
}

/**
 * Open the page on TF.js's wasm backend, give it `files` through its file input, and return its
 * results (in the files' order), how many result tables it shows, the requests that left
 * localhost and the page's errors.
 */
export async function classifyInPage(
  browser: Chromium,
  server: StaticServer,
  files: readonly string[],
  top = 2,
): Promise<{ results: PageResult[]; shown: number; foreign: string[]; errors: string[] }> {
  if (new Set(files.map((f) => basename(f))).size !== files.length) throw new Error('the page tells files apart by name: give each a different one');
  const page = await browser.context.newPage();
  try {
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => void (r.url().startsWith(server.url) || r.url().startsWith('blob:') || r.url().startsWith('data:') || foreign.push(r.url())));
    page.on('pageerror', (e) => errors.push(e.message));
    const q = new URLSearchParams({ model: '/model/', tfjs: '/tfjs/tf.min.js', backend: 'wasm', wasm: '/tfjs-wasm/', top: String(top) });
    await page.goto(`${server.url}/index.html?${q}`);
    await page.waitForFunction(() => (window as any).tsnasReady || (window as any).tsnasError);
    const loadError: string | null = await page.evaluate(() => (window as any).tsnasError ?? null);
    if (loadError) throw new Error(`the page did not load the model: ${loadError}`);
    await page.setInputFiles('#file', [...files]);
    await page.waitForFunction((n) => (window as any).tsnasResults.length === n, files.length);
    const got: Omit<PageResult, 'pixels'>[] = await page.evaluate(() => (window as any).tsnasResults);
    // each result box shows the file's name and the canvas the model's input was read from
    const drawn: { file: string; width: number; height: number; rgba: number[] }[] = await page.evaluate(() =>
      [...document.querySelectorAll('#results > div')].map((box) => {
        const c = box.querySelector('canvas')!;
        return { file: box.querySelector('h3')!.textContent!, width: c.width, height: c.height, rgba: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data) };
      }),
    );
    const results = files.map((f) => {
      const r = got.find((g) => g.file === basename(f));
      const d = drawn.find((g) => g.file === basename(f));
      if (!r || !d) throw new Error(`the page gave no result for ${basename(f)}`);
      const data = Uint8Array.from({ length: d.width * d.height * 3 }, (_, i) => d.rgba[Math.floor(i / 3) * 4 + (i % 3)]!);
      return { ...r, pixels: { width: d.width, height: d.height, channels: 3 as const, data } };
    });
    const shown = await page.locator('#results table').count();
    return { results, shown, foreign, errors };
  } finally {
    await page.close();
  }
}

/** The index of the largest value. */
export function argmax(v: readonly number[]): number {
  return v.indexOf(Math.max(...v));
}
