/**
 * latency:browser end to end: a model exported in memory, served from localhost, timed in headless
 * Chromium on TF.js's wasm backend (both loaded from node_modules: the page makes no other
 * request), through the async meter, the synchronous worker bridge and the objective; and the
 * one-line errors for a missing browser. Skipped (with the reason) when Chromium is absent.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/backend.js';
import { buildEvalNetwork, parseArch, type EvalNetOverrides } from '../../src/spaces/index.js';
import { toLayersModel } from '../../src/train/export-tfjs.js';
import { layersModelFiles, type ModelFiles } from '../../src/deploy/model-files.js';
import { BrowserLatencyMeter } from '../../src/deploy/browser-latency.js';
import { SyncBrowserLatency } from '../../src/deploy/browser-latency-sync.js';
import { launchChromium } from '../../src/deploy/chromium.js';
import { startStaticServer } from '../../src/deploy/static-server.js';
import { buildObjectives, closeObjectives, parseObjectives } from '../../src/objectives/index.js';
import { TsnasError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { CHROMIUM, chromiumSkip } from '../helpers/chromium.js';

const skip = chromiumSkip('browser latency tests');
const SMALL: EvalNetOverrides = { C: 4, N: 1, inputShape: [8, 8, 3], numClasses: 10 };
const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

async function smallModel(): Promise<ModelFiles> {
  await initBackend('cpu');
  const net = buildEvalNetwork('nb201', parseArch('nb201', ARCH), new Rng(0), SMALL);
  const model = toLayersModel(net, { name: 'tsnas_nb201' });
  try {
    return layersModelFiles(model);
  } finally {
    model.dispose();
    net.dispose();
  }
}

test('the async meter times a model on the wasm backend of the page', { skip }, async () => {
  const files = await smallModel();
  const m = await BrowserLatencyMeter.open({ executablePath: CHROMIUM, reps: 4, warmup: 1 });
  try {
    assert.equal(m.info.backend, 'wasm');
    const times = await m.times(files);
    assert.equal(times.length, 4);
    assert.ok(
      times.every((t) => Number.isFinite(t) && t >= 0),
      times.join(','),
    );
    const med = await m.measure(files);
    assert.ok(Number.isFinite(med) && med >= 0);
  } finally {
    await m.close();
  }
});

test('the synchronous bridge and latency:browser: one browser for many models, closed at the end', { skip }, async () => {
  const files = await smallModel();
  const s = new SyncBrowserLatency({ executablePath: CHROMIUM, reps: 2, warmup: 1 });
  try {
    assert.equal(s.info().backend, 'wasm');
    for (let i = 0; i < 2; i++) assert.ok(Number.isFinite(s.measure(files)));
  } finally {
    s.close();
  }
  s.close(); // twice is fine
  const objs = buildObjectives(parseObjectives('latency:browser,size'), { space: 'nb201', netOverrides: SMALL, latency: { reps: 2, warmup: 1 }, browser: { executablePath: CHROMIUM } });
  try {
    const v = objs[0]!.evaluate(parseArch('nb201', ARCH));
    assert.ok(Number.isFinite(v) && v >= 0);
    assert.equal(objs[1]!.evaluate(parseArch('nb201', ARCH)), Buffer.byteLength(files.modelJson) + files.weights.byteLength);
  } finally {
    closeObjectives(objs);
  }
});

test('a missing browser is a one-line error, from the launcher and through the worker', async () => {
  await assert.rejects(
    launchChromium({ executablePath: '/nonexistent/chromium' }),
    (e: unknown) => e instanceof TsnasError && /Chromium not found at \/nonexistent\/chromium/.test(e.message) && !e.message.includes('\n'),
  );
  const files = await smallModel();
  const s = new SyncBrowserLatency({ executablePath: '/nonexistent/chromium' });
  try {
    assert.throws(
      () => s.measure(files),
      (e: unknown) => e instanceof TsnasError && /Chromium not found/.test(e.message),
    );
  } finally {
    s.close();
  }
});

test('the static server serves its mounts and memory files, and nothing outside them', async () => {
  const srv = await startStaticServer({ '/tfjs/': new URL('../../node_modules/@tensorflow/tfjs/dist', import.meta.url).pathname });
  after(() => srv.close());
  srv.put('/a/model.json', '{"x":1}');
  const ok = await fetch(`${srv.url}/a/model.json`);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'application/json');
  assert.deepEqual(await ok.json(), { x: 1 });
  assert.equal((await fetch(`${srv.url}/tfjs/tf.min.js`)).status, 200);
  assert.equal((await fetch(`${srv.url}/tfjs/..%2F..%2Fpackage.json`)).status, 404);
  srv.remove('/a/model.json');
  assert.equal((await fetch(`${srv.url}/a/model.json`)).status, 404);
  assert.equal((await fetch(`${srv.url}/a/model.json`, { method: 'POST' })).status, 405);
});
