/**
 * The PyTorch reference networks of bench/perf/torch_naswot.py (NB201) and torch_deep_nets.py
 * (DARTS, NB101) are tsnas's networks: equal parameter counts, and the same ReLU inputs for NASWOT
 * (as many hooked ReLUs, as many units). Skipped where Debian's python3-torch is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, type Tensor4D } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { buildEvalNetwork, getSpace, nb101Json, parseArch, type Nb101Arch, type SpaceName } from '../../src/spaces/index.js';
import { collectActivationStats } from '../../src/proxies/index.js';
import { Rng } from '../../src/util/rng.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

const DARTS_V2 =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

/** An NB101 cell whose vertex 1 has no input, so both sides must prune it (5,356,682 parameters in NB101's records). */
const NB101_UNPRUNED = JSON.stringify({
  matrix: [
    [0, 0, 1, 0, 0, 0, 0],
    [0, 0, 0, 1, 0, 0, 0],
    [0, 0, 0, 1, 1, 0, 0],
    [0, 0, 0, 0, 1, 1, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0],
  ],
  ops: ['input', 'conv1x1-bn-relu', 'maxpool3x3', 'conv3x3-bn-relu', 'conv1x1-bn-relu', 'conv3x3-bn-relu', 'output'],
});

/** DARTS-V2, the unpruned NB101 cell, and sampled architectures of each space. */
function cases(): { space: SpaceName; arch: string }[] {
  const rng = new Rng(7);
  const out: { space: SpaceName; arch: string }[] = [
    { space: 'darts', arch: DARTS_V2 },
    { space: 'nb101', arch: NB101_UNPRUNED },
  ];
  for (const space of ['nb201', 'darts', 'nb101'] as const) {
    const sp = getSpace(space);
    for (let i = 0; i < 3; i++) {
      const a = sp.sample(rng);
      out.push({ space, arch: space === 'nb101' ? nb101Json(a as Nb101Arch) : sp.format(a) });
    }
  }
  return out;
}

test('the PyTorch reference networks have tsnas’s parameters and ReLU inputs', { skip: !hasTorch && 'python3-torch not installed' }, async () => {
  await initBackend('auto');
  const nets = cases();
  const dir = mkdtempSync(join(tmpdir(), 'tsnas-torch-nets-'));
  try {
    const file = join(dir, 'nets.json');
    writeFileSync(file, JSON.stringify(nets));
    const r = spawnSync(PYTHON, ['bench/perf/torch_naswot.py', '--params-of', file, '--threads', '1'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const torch = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { params: number; relus: number; units: number }[];
    assert.equal(torch.length, nets.length);
    nets.forEach(({ space, arch }, i) => {
      const net = buildEvalNetwork(space, parseArch(space, arch), new Rng(0), space === 'darts' ? { auxiliary: false } : {});
      const x = tf.randomNormal([2, 32, 32, 3]) as Tensor4D;
      const st = collectActivationStats(net, x);
      const relus = st.layers.reduce((s, l) => s + l.multiplicity, 0);
      const ours = { params: net.paramCount(), relus, units: st.totalUnits };
      assert.deepEqual(torch[i], ours, `${space} ${arch}`);
      tf.dispose(x);
      net.dispose();
    });
    assert.equal(torch[0]!.params, 3349342, 'DARTS-V2: 3.349342 M parameters without its auxiliary head');
    assert.equal(torch[1]!.params, 5356682, "the NB101 cell: NB101's own count");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
