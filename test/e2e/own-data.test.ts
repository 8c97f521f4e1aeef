/**
 * Issue 20 end to end, as a user with a folder of photos runs it through the CLI (bin/tsnas.js,
 * from source): a small image folder (PNG and JPEG, 16×16, from the shared CIFAR-10 subset), each
 * strategy searching the `mobile` space and a user-written YAML space for accuracy after a short
 * training against download size, `train --top 1` of a search, `export --format tfjs`, and the
 * example web page (headless Chromium) classifying the images as Node does. Tiny settings: it
 * checks that the path works, not how good the pick is. Skipped without the CIFAR-10 subset; the
 * browser part alone is skipped without Chromium.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { readCifar10, resizeBytes } from '../../src/data/index.js';
import type { Chromium } from '../../src/deploy/chromium.js';
import type { StaticServer } from '../../src/deploy/static-server.js';
import { searchResultSchema } from '../../src/search/result.js';
import { Store } from '../../src/store/store.js';
import type { ModelCard } from '../../src/train/export-run.js';
import { chromiumSkip, openChromium } from '../helpers/chromium.js';
import { CIFAR10_DIR, REPO_ROOT } from '../helpers/data-paths.js';
import { argmax, classifyInPage, decodeFiles, nodeProbabilities, servePage } from '../helpers/web-page.js';

const BIN = resolve(REPO_ROOT, 'bin', 'tsnas.js');
const CIFAR_FILE = join(CIFAR10_DIR, 'train_10k.bin.gz');
const dataSkip = existsSync(CIFAR_FILE) ? false : `own-data end-to-end test skipped: no CIFAR-10 subset at ${CIFAR_FILE} (set TSNAS_CIFAR10_DIR or TSNAS_SHARED_DATA)`;
if (dataSkip) console.log(`# ${dataSkip}`);
const browserSkip = dataSkip || chromiumSkip('own-data end-to-end browser check');

const SIZE = 16;
/** CIFAR-10 labels 0..2; written in this order, so the classes sorted by name are the same. */
const CLASSES = ['airplane', 'automobile', 'bird'];
const PER_CLASS = 8;
const STRATEGIES = ['random', 'evolution', 'nsga2', 'tnd-nas', 'naswot'] as const;

/** A user's space: a repeat, value choices, a layer choice and an input choice. */
const USER_SPACE = `name: e2e-photos
input: [${SIZE}, ${SIZE}, 3]
numClasses: ${CLASSES.length}
stem: { type: conv, kernel: 3, channels: 8 }
layers:
  - type: repeat
    label: depth
    depths: [1, 2]
    block: { type: mbconv, kernel: { choice: k, values: [3, 5] }, expansion: 2, channels: 12, stride: 2 }
  - type: layer_choice
    label: op
    id: mid
    candidates:
      conv: { type: conv, kernel: $k, channels: 12 }
      sep: { type: dwsep, kernel: 3, channels: 12 }
      skip: { type: identity }
  - { type: conv, kernel: 1, channels: 12, id: side }
  - { type: input_choice, label: in, candidates: [mid, side], reduction: sum }
head: { channels: 16 }
`;

const tmp = mkdtempSync(join(tmpdir(), 'tsnas-e2e-'));
const photos = join(tmp, 'photos');
const spaceFile = join(tmp, 'my-space.yaml');
const SPACES = { mobile: 'mobile', yaml: spaceFile } as const;
/** One store per space, so the two spaces' searches can run side by side. */
const storeOf = (space: keyof typeof SPACES) => join(tmp, `${space}.db`);
/** Browser-checked images: the first PNG and the first JPEG of each class. */
const probes: string[] = [];
let browser: Chromium | undefined;
const servers: StaticServer[] = [];

const data = ['--dataset', 'folder', '--data-dir', photos, '--val-split', '0.25', '--image-size', String(SIZE), '--no-progress'];

/** Run bin/tsnas.js from source; the last stdout line is the --json result. */
async function tsnas(argv: string[]): Promise<Record<string, unknown>> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...argv, '--json'], {
      cwd: tmp,
      env: { ...process.env, TSNAS_FROM_SOURCE: '1' },
      maxBuffer: 64 << 20,
    });
    return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  } catch (e) {
    const x = e as { code?: number; stderr?: string };
    throw new Error(`tsnas ${argv.slice(0, 2).join(' ')} exited ${x.code}: ${x.stderr ?? String(e)}`);
  }
}

/** RGBA bytes of RGB bytes, for the encoders. */
function rgba(rgb: Uint8Array): Buffer {
  const out = Buffer.alloc((rgb.length / 3) * 4, 255);
  for (let p = 0; p < rgb.length / 3; p++) for (let c = 0; c < 3; c++) out[p * 4 + c] = rgb[p * 3 + c]!;
  return out;
}

before(() => {
  if (dataSkip) return;
  const raw = readCifar10(CIFAR10_DIR, 'train', 200);
  const count = CLASSES.map(() => 0);
  for (let i = 0; i < raw.n; i++) {
    const label = raw.labels[i]!;
    if (label >= CLASSES.length || count[label]! >= PER_CLASS) continue;
    const k = count[label]!++;
    const rgb = resizeBytes(raw.images.subarray(i * 3072, (i + 1) * 3072), 32, 32, 3, SIZE, SIZE);
    const dir = join(photos, CLASSES[label]!);
    mkdirSync(dir, { recursive: true });
    const p = new PNG({ width: SIZE, height: SIZE });
    rgba(rgb).copy(p.data);
    const file = join(dir, `${CLASSES[label]}-${k}.${k % 2 ? 'jpg' : 'png'}`); // the page knows a file by its name alone
    writeFileSync(file, k % 2 ? jpeg.encode({ data: rgba(rgb), width: SIZE, height: SIZE }, 90).data : PNG.sync.write(p));
    if (k < 2) probes.push(file);
  }
  assert.deepEqual(
    count,
    CLASSES.map(() => PER_CLASS),
    `${PER_CLASS} images per class among the first 200 of ${CIFAR_FILE}`,
  );
  writeFileSync(spaceFile, USER_SPACE);
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
  rmSync(tmp, { recursive: true, force: true });
});

// The two spaces' searches run side by side (each process is mostly one core's work at these sizes).
describe('every strategy searches both spaces on the folder', { skip: dataSkip, concurrency: 2 }, () => {
  for (const space of Object.keys(SPACES) as (keyof typeof SPACES)[]) {
    test(`${space}: random, evolution, nsga2, tnd-nas and naswot`, async () => {
      for (const strategy of STRATEGIES) {
        const budget = strategy === 'random' ? 2 : 3;
        const how =
          strategy === 'naswot'
            ? ['--n', '2', '--batch', '8', '--workers', '1']
            : [
                '--objectives',
                'accuracy:trained,size',
                '--preset',
                'tiny',
                '--budget',
                String(budget),
                ...(strategy === 'evolution' || strategy === 'nsga2' ? ['--pop-size', '2'] : []),
                ...(strategy === 'evolution' ? ['--sample-size', '2'] : []),
              ];
        const j = await tsnas(['search', strategy, '--space', SPACES[space], ...data, ...how, '--store', storeOf(space), '--run-id', strategy]);
        assert.equal(searchResultSchema.safeParse(j).success, true, `${space}/${strategy}: ${JSON.stringify(j).slice(0, 300)}`);
        assert.equal(j['complete'], true, `${space}/${strategy}`);
        const pick = JSON.parse(j['genotype'] as string) as Record<string, unknown>;
        assert.ok(Object.keys(pick).length > 0, `${space}/${strategy}: the pick is a sample {label: value}`);
        const store = Store.open(storeOf(space));
        try {
          const trials = store.trials(strategy);
          assert.equal(trials.length, strategy === 'naswot' ? 2 : budget, `${space}/${strategy}: one trial per evaluation`);
          if (strategy !== 'naswot')
            for (const t of trials) {
              const acc = t.objectives['accuracy:trained']!;
              assert.ok(acc >= 0 && acc <= 100, `${space}/${strategy}: trained accuracy ${acc}`);
              assert.ok(t.objectives['size']! > 0, `${space}/${strategy}: a download size`);
            }
        } finally {
          store.close();
        }
      }
    });
  }
});

const cards: Partial<Record<keyof typeof SPACES, { dir: string; card: ModelCard }>> = {};

describe('train the pick and export it', { skip: dataSkip }, () => {
  for (const space of Object.keys(SPACES) as (keyof typeof SPACES)[]) {
    test(`${space}: train --top 1 of the nsga2 search, export --format tfjs with its model card`, async () => {
      const run = join(tmp, `pick-${space}`);
      const t = await tsnas(['train', '--top', '1', '--from-run', 'nsga2', '--store', storeOf(space), ...data, '--epochs', '1', '--batch', '8', '--out', run]);
      const store = Store.open(storeOf(space));
      const best = store
        .trials('nsga2')
        .filter((x) => x.arch === t['arch'])
        .at(0);
      store.close();
      assert.ok(best, `${space}: the trained architecture is a trial of the search`);
      assert.equal(t['complete'], true);
      const e = await tsnas(['export', '--run', run, '--format', 'tfjs', '--latency-reps', '2']);
      const dir = e['out'] as string;
      for (const f of ['model.json', 'weights.bin', 'model_card.json', 'MODEL_CARD.md']) assert.ok(existsSync(join(dir, f)), `${space}: ${f}`);
      const card = JSON.parse(readFileSync(join(dir, 'model_card.json'), 'utf8')) as ModelCard;
      assert.deepEqual(card.classes, CLASSES, 'classes in label order');
      assert.deepEqual(card.input.shape, [SIZE, SIZE, 3]);
      assert.equal(card.genotype, t['arch']);
      // the search sized this network (the folder's input and classes); the export adds the input normalisation layer
      const extra = card.size_bytes - best.objectives['size']!;
      assert.ok(extra >= 0 && extra < 2048, `${space}: the card's ${card.size_bytes} B against the search's ${best.objectives['size']} B`);
      cards[space] = { dir, card };
    });
  }
});

/** Largest absolute difference of two equal-length arrays. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

// JPEG decoders differ in their IDCT's rounding (Chromium: libjpeg-turbo; tsnas: jpeg-js), so a
// JPEG's pixels may differ by a few levels between the page and Node; the model must not differ.
const JPEG_LEVELS = 4;

describe('the example page classifies the photos as Node does', { skip: browserSkip }, () => {
  before(async () => {
    if (!browserSkip) browser = await openChromium();
  });
  for (const space of Object.keys(SPACES) as (keyof typeof SPACES)[]) {
    test(`${space}: the exported model in Chromium (wasm) and in Node on the same PNG and JPEG files`, async (t) => {
      const exported = cards[space];
      assert.ok(exported, `${space} was exported`);
      const server = await servePage(exported.dir);
      servers.push(server);
      const { results, shown, foreign, errors } = await classifyInPage(browser!, server, probes, CLASSES.length);
      const decoded = decodeFiles(probes);
      const onNodePixels = await nodeProbabilities(exported.dir, decoded);
      const onPagePixels = await nodeProbabilities(
        exported.dir,
        results.map((r) => r.pixels),
      );
      let jpegLevels = 0;
      for (const [k, file] of probes.entries()) {
        const got = results[k]!;
        const png = file.endsWith('.png');
        const levels = maxDiff(got.pixels.data, decoded[k]!.data);
        if (!png) jpegLevels = Math.max(jpegLevels, levels);
        assert.ok(png ? levels === 0 : levels <= JPEG_LEVELS, `${file}: the page's pixels differ from Node's decoding by ${levels} levels`);
        // the model: the page's probabilities are Node's on the pixels the page read
        const diff = maxDiff(got.probabilities, onPagePixels[k]!);
        assert.ok(diff <= 1e-4, `${file}: max |browser − node| = ${diff} on the page's pixels`);
        if (png) assert.ok(maxDiff(got.probabilities, onNodePixels[k]!) <= 1e-4, `${file}: the same on Node's own decoding`);
        assert.equal(argmax(got.probabilities), argmax(onPagePixels[k]!), file);
        assert.equal(got.top[0]!.label, CLASSES[argmax(got.probabilities)], `${file}: the top class is named from the model card`);
      }
      t.diagnostic(`JPEG pixels: the page's and Node's decoding at most ${jpegLevels} levels apart`);
      assert.equal(shown, probes.length);
      assert.deepEqual(foreign, [], 'no request leaves localhost');
      assert.deepEqual(errors, []);
    });
  }
});
