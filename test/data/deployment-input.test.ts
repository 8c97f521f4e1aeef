/**
 * Deployment objectives size their networks by the dataset's input: a search on Fashion-MNIST
 * counts the parameters of a 1-channel network, one on CIFAR-10 at --image-size 16 the FLOPs of a
 * 16-pixel one; CIFAR-10 at 32 px keeps the spaces' default.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { deploymentInput } from '../../src/data/index.js';
import { netParams, netSize } from '../../src/objectives/index.js';
import { search } from '../../src/search/search.js';
import { parseArch } from '../../src/spaces/index.js';

test('deploymentInput gives each dataset its side, channels and classes', () => {
  assert.deepEqual(deploymentInput('fashion-mnist', undefined), { inputShape: [28, 28, 1], numClasses: 10 });
  assert.deepEqual(deploymentInput('fashion-mnist', undefined, { imageSize: 14 }), { inputShape: [14, 14, 1], numClasses: 10 });
  assert.deepEqual(deploymentInput('cifar10', undefined, { imageSize: 16 }), { inputShape: [16, 16, 3], numClasses: 10 });
  assert.deepEqual(deploymentInput('synthetic', undefined), { inputShape: [16, 16, 3], numClasses: 10 });
  assert.equal(deploymentInput('cifar10', undefined), undefined, 'CIFAR-10 at 32 px is the default network');
  assert.equal(deploymentInput('synthetic', undefined, { imageSize: 32 }), undefined, 'any 32×32×3 input is the default network');
  assert.deepEqual(deploymentInput('fashion-mnist', undefined, { imageSize: 32 }), { inputShape: [32, 32, 1], numClasses: 10 });
  assert.equal(deploymentInput(undefined, undefined), undefined);
});

test('a search on Fashion-MNIST counts parameters of the 1-channel network, one on 16-px CIFAR-10 its FLOPs', async () => {
  const base = { space: 'nb201', objectives: 'params,flops', budget: 3, seed: 5 };
  const fm = await search('random', { ...base, dataset: 'fashion-mnist' });
  const c16 = await search('random', { ...base, dataset: 'cifar10', imageSize: 16 });
  const c32 = await search('random', { ...base, dataset: 'cifar10' });
  for (const p of fm.pareto!) {
    const a = parseArch('nb201', p.arch);
    const want = netParams('nb201', a, { inputShape: [28, 28, 1], numClasses: 10 });
    assert.equal(p.objectives['params'], want);
    // the stem's 3×3 convolution to 16 channels has 2·9·16 weights fewer with one input channel
    assert.ok(Math.abs(netParams('nb201', a) - want - (2 * 9 * 16) / 1e6) < 1e-9);
  }
  for (const p of c16.pareto!) {
    const a = parseArch('nb201', p.arch);
    assert.equal(p.objectives['flops'], netSize('nb201', a, { inputShape: [16, 16, 3], numClasses: 10 }).flops);
  }
  for (const p of c32.pareto!) assert.equal(p.objectives['flops'], netSize('nb201', parseArch('nb201', p.arch)).flops);
});
