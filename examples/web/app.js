// The example page's logic: plain TF.js, no build step. It loads TF.js (and the wasm backend if
// asked for), the model and its model card, then classifies every image the user picks. Results
// are also left on window.tsnasResults ({ file, probabilities, top }) for tests and scripts.
'use strict';

const params = new URLSearchParams(location.search);
const MODEL = new URL(params.get('model') || './model/', location.href).href.replace(/\/?$/, '/');
const TFJS = params.get('tfjs') || 'https://cdn.jsdelivr.net/npm/@tensorflow/tfjs@4.22.0/dist/tf.min.js';
const BACKEND = params.get('backend');
const WASM = params.get('wasm') || 'https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-backend-wasm@4.22.0/dist/';
const TOP = Number(params.get('top') || 3);

const status = document.getElementById('status');
const input = document.getElementById('file');
const results = document.getElementById('results');
window.tsnasResults = [];

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

async function start() {
  await loadScript(TFJS);
  if (BACKEND === 'wasm') {
    const base = WASM.replace(/\/?$/, '/');
    await loadScript(`${base}tf-backend-wasm.min.js`);
    tf.wasm.setWasmPaths(base);
  }
  if (BACKEND && !(await tf.setBackend(BACKEND))) throw new Error(`the ${BACKEND} backend did not start`);
  await tf.ready();
  const card = await (await fetch(`${MODEL}model_card.json`)).json();
  const model = await tf.loadLayersModel(`${MODEL}model.json`);
  return { card, model };
}

/** The image as the model's input: drawn at the model's size, [0, 1] pixels, normalised if the model does not do it. */
function toInput(bitmap, card) {
  const [h, w, c] = card.input.shape;
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d').drawImage(bitmap, 0, 0, w, h);
  const x = tf.tidy(() => {
    let t = tf.browser.fromPixels(canvas, c).toFloat().div(255);
    const n = card.input.normalization;
    if (n && !card.input.included_in_model) t = t.sub(tf.tensor1d(n.mean)).div(tf.tensor1d(n.std));
    return t.expandDims(0);
  });
  return { x, canvas };
}

function show(file, canvas, top) {
  const box = document.createElement('div');
  const rows = top.map((t) => `<tr><td>${t.label}</td><td>${(100 * t.p).toFixed(2)} %</td></tr>`).join('');
  box.innerHTML = `<h3></h3><table><tr><th>class</th><th>probability</th></tr>${rows}</table>`;
  box.querySelector('h3').textContent = file;
  box.prepend(canvas);
  results.appendChild(box);
}

start().then(
  ({ card, model }) => {
    const classes = card.classes || Array.from({ length: card.num_classes }, (_, i) => `class ${i}`);
    status.textContent = `${card.space} model, ${card.num_classes} classes, TF.js ${tf.version.tfjs} on ${tf.getBackend()}`;
    input.disabled = false;
    input.addEventListener('change', async () => {
      for (const f of input.files) {
        const { x, canvas } = toInput(await createImageBitmap(f), card);
        const probs = tf.tidy(() => tf.softmax(model.predict(x)).dataSync());
        x.dispose();
        const probabilities = Array.from(probs);
        const top = probabilities
          .map((p, i) => ({ i, p, label: classes[i] }))
          .sort((a, b) => b.p - a.p)
          .slice(0, TOP);
        window.tsnasResults.push({ file: f.name, probabilities, top });
        show(f.name, canvas, top);
      }
    });
    window.tsnasReady = true;
  },
  (e) => {
    status.textContent = `error: ${e.message}`;
    window.tsnasError = e.message;
  },
);
