/**
 * tsnas side of bench/perf/naswot-deep.ts: NASWOT of ONE evaluation network in this process, so that
 * the process's peak RSS is that network's.
 *   TSNAS_THREADS=2 node --import tsx bench/perf/naswot-one.ts --space darts --arch 'Genotype(...)' \
 *     --input batch.f32 [--batch 128] [--passes 2] [--backend native] [--t0 EPOCH_S]
 * Steps: start the backend and read the float32 NHWC batch (start-up: from --t0, the parent's spawn
 * time, to here), build the network (DARTS without its auxiliary head, as the PyTorch side), read
 * VmRSS (baseline), then `passes` scoring passes (collectActivationStats + naswotScore: the forward
 * with BN in train mode, the codes, the float64 log-det), each timed (wall and process CPU seconds, the
 * latter less sensitive to a crowded machine); VmHWM after the first and the
 * last. No warm-up pass beyond these: pass 1 is cold (first-use kernel set-up), pass 2 warm.
 * Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { initBackend } from '../../src/engine/backend.js';
import { tf, type Tensor4D } from '../../src/engine/tf.js';
import { buildEvalNetwork, parseArch, type SpaceName } from '../../src/spaces/index.js';
import { collectActivationStats, naswotScore } from '../../src/proxies/index.js';
import { Rng } from '../../src/util/rng.js';

function arg(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1]!;
  if (def === undefined) throw new Error(`--${name} is required`);
  return def;
}

/** A field of /proc/self/status (VmRSS now, VmHWM peak since start), in MB. */
function procMb(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error(`${field} not in /proc/self/status`);
  return Number(m[1]) / 1024;
}

const space = arg('space') as SpaceName;
const archText = arg('arch');
const batch = Number(arg('batch', '128'));
const passes = Number(arg('passes', '1'));
const t0 = Number(arg('t0', '0'));

const info = await initBackend(arg('backend', 'native'));
const raw = readFileSync(arg('input'));
const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
if (values.length !== batch * 32 * 32 * 3) throw new Error(`input has ${values.length} floats, expected ${batch}×32×32×3`);
const x = tf.tensor4d(values, [batch, 32, 32, 3]) as Tensor4D;
const startup = t0 ? Date.now() / 1000 - t0 : undefined;

const tb = performance.now();
const net = buildEvalNetwork(space, parseArch(space, archText), new Rng(0), space === 'darts' ? { auxiliary: false } : {});
const buildSec = (performance.now() - tb) / 1000;
const baseline = procMb('VmRSS');

const seconds: number[] = [];
const cpuSeconds: number[] = [];
const forward: number[] = [];
const peaks: number[] = [];
let score = NaN;
for (let p = 0; p < passes; p++) {
  const ts = performance.now();
  const c0 = process.cpuUsage();
  const st = collectActivationStats(net, x);
  score = naswotScore(st);
  seconds.push((performance.now() - ts) / 1000);
  const c = process.cpuUsage(c0);
  cpuSeconds.push((c.user + c.system) / 1e6);
  forward.push(st.timing.forward);
  peaks.push(procMb('VmHWM'));
}
const pool = (tf.engine().backend as { pooledByteCount?: number }).pooledByteCount;
const mem = process.memoryUsage();
console.log(
  JSON.stringify({
    backend: `${info.name} (${info.detail})`,
    threads: info.threads,
    space,
    params: net.paramCount(),
    naswot: score,
    startup_s: startup,
    build_s: buildSec,
    seconds,
    cpu_s: cpuSeconds,
    forward_s: forward,
    baseline_rss_mb: baseline,
    peak_rss_mb: peaks.at(-1),
    peak_rss_first_pass_mb: peaks[0],
    // where the memory is at the end: the native buffer pool, V8's heap, array buffers outside it
    end: {
      rss_mb: procMb('VmRSS'),
      pooled_mb: pool === undefined ? undefined : pool / 2 ** 20,
      heap_used_mb: mem.heapUsed / 2 ** 20,
      array_buffers_mb: mem.arrayBuffers / 2 ** 20,
      live_tensors: tf.memory().numTensors,
    },
  }),
);
net.dispose();
x.dispose();
