import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { loadDataset } from '../../src/data/index.js';
import { parseArch } from '../../src/spaces/index.js';
import {
  PROXY_NAMES,
  naswotScore,
  parseProxyList,
  proxyNames,
  registerProxy,
  resolveProxy,
  scoreArch,
  unregisterProxy,
  type ActivationStats,
  type ProxyDefinition,
  type ScoreContext,
} from '../../src/proxies/index.js';
import { scorePoolAsync, type ScoreProgress } from '../../src/proxies/run.js';
import { userLogParams } from '../helpers/user-proxy.js';

const ARCH = parseArch('nb201', '|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|');

function context(): ScoreContext {
  return { data: loadDataset('synthetic', { split: 'train', limit: 64, synthetic: { height: 8 } }), batch: 16, seed: 5 };
}

/** Register `defs` for the length of `f`. */
async function withProxies<T>(defs: ProxyDefinition<unknown>[], f: () => T | Promise<T>): Promise<T> {
  for (const d of defs) registerProxy(d);
  try {
    return await f();
  } finally {
    for (const d of defs) unregisterProxy(d.name);
  }
}

test('registry: the built-ins are registered; an unknown name lists the known ones; options only for parametrised proxies', () => {
  assert.deepEqual(proxyNames().slice(0, PROXY_NAMES.length), [...PROXY_NAMES]);
  assert.throws(
    () => parseProxyList('naswot,magic'),
    (e: Error) => {
      assert.match(e.message, /^unknown proxy 'magic' \(known: /);
      for (const n of PROXY_NAMES) assert.ok(e.message.includes(n), `lists ${n}: ${e.message}`);
      assert.match(e.message, /das:kernel=whole\|layer\|perlayer,lambda=X,active=Y,conn=Z/);
      return true;
    },
  );
  assert.throws(() => parseProxyList('naswot:lambda=1'), /proxy 'naswot' takes no options/);
  assert.throws(() => parseProxyList('das:kernel=foo'), /DAS kernel must be whole, layer or perlayer/);
  assert.throws(() => scoreArch(ARCH, ['magic'], context()), /unknown proxy 'magic'/);
  // names stay one item of a comma-separated list; a name is registered once
  assert.throws(() => registerProxy({ ...userLogParams, name: 'a,b' }), /letters, digits and _/);
  assert.throws(() => registerProxy({ ...userLogParams, name: 'naswot' }), /already registered/);
  registerProxy(userLogParams); // the helper's import registered it: the same definition again is a no-op
  assert.equal(resolveProxy('user_logparams:k=2').options && (resolveProxy('user_logparams:k=2').options as { k: number }).k, 2);
});

test('registry: a user proxy, plain or with options, is listed, parsed and scored by scoreArch beside the built-ins', async () => {
  await initBackend('auto');
  const ctx = context();
  const seen: string[] = [];
  const depth: ProxyDefinition = {
    name: 'user_weights',
    description: 'test: number of weight tensors',
    needs: {},
    score: (input) => (seen.push(input.spec), input.net.namedParameters().length),
  };
  await withProxies([depth], () => {
    const list = parseProxyList('params,user_weights,user_logparams:k=2,naswot,user_logparams');
    assert.deepEqual(list, ['params', 'user_weights', 'user_logparams:k=2', 'naswot', 'user_logparams']);
    const r = scoreArch(ARCH, list, ctx);
    assert.deepEqual(Object.keys(r.scores), list);
    assert.deepEqual(seen, ['user_weights']);
    assert.ok(r.scores.user_weights! > 0);
    assert.equal(r.scores['user_logparams:k=2'], Math.log(r.scores.params!) + 2);
    assert.equal(r.scores.user_logparams, Math.log(r.scores.params!));
    assert.equal(r.scores.naswot, scoreArch(ARCH, ['naswot'], ctx).scores.naswot);
    assert.ok(r.timing.user_weights! >= 0);
  });
  assert.throws(() => parseProxyList('user_weights'), /unknown proxy 'user_weights'/);
});

test('registry: needs are honoured; activations and gradients are computed once per architecture, shared by every proxy', async () => {
  await initBackend('auto');
  const ctx = context();
  let forwards = 0;
  const got: ActivationStats[] = [];
  // the first proxy counts the network's forward passes from then on
  const counter: ProxyDefinition = {
    name: 'user_counter',
    description: 'test: counts forward passes',
    needs: {},
    score: (input) => {
      const net = input.net;
      const forward = net.forward.bind(net);
      net.forward = (x, c) => (forwards++, forward(x, c));
      return 0;
    },
  };
  const actsA: ProxyDefinition = {
    name: 'user_acts_a',
    description: 'test: needs activations',
    needs: { activations: true },
    score: (input) => {
      const s = input.activations();
      got.push(s);
      return naswotScore(s);
    },
  };
  const actsB: ProxyDefinition = { ...actsA, name: 'user_acts_b', score: (input) => (got.push(input.activations()), input.activations().totalUnits) };
  const sneaky: ProxyDefinition = { name: 'user_sneaky', description: 'test: reads undeclared activations', needs: { batch: true }, score: (input) => input.activations().batch };
  const batchOnly: ProxyDefinition = { name: 'user_batch', description: 'test: the batch', needs: { batch: true }, score: (input) => input.batch().x.shape[0] };
  await withProxies([counter, actsA, actsB, sneaky, batchOnly], () => {
    const before = tf.memory().numTensors;
    const r = scoreArch(ARCH, ['user_counter', 'user_acts_a', 'naswot', 'dis', 'das', 'user_acts_b', 'user_batch'], ctx);
    assert.equal(forwards, 1, 'one forward pass for every activation proxy');
    assert.equal(got.length, 2);
    assert.ok(got[0] === got[1], 'the same statistics object');
    assert.equal(got[0]!.batch, ctx.batch);
    assert.ok(got[0]!.totalUnits > 0 && got[0]!.layers.length > 0);
    assert.equal(r.scores.user_acts_a, r.scores.naswot);
    assert.equal(r.scores.user_acts_b, got[0]!.totalUnits);
    assert.equal(r.scores.user_batch, ctx.batch);
    assert.ok(r.timing.forward! > 0);
    // snip and grad_norm share one backward pass (one forward inside it)
    forwards = 0;
    const g = scoreArch(ARCH, ['user_counter', 'snip', 'grad_norm'], ctx);
    assert.equal(forwards, 1, 'one loss-gradient pass for snip and grad_norm');
    assert.equal(g.scores.snip, scoreArch(ARCH, ['snip'], ctx).scores.snip);
    assert.equal(g.scores.grad_norm, scoreArch(ARCH, ['grad_norm'], ctx).scores.grad_norm);
    // an undeclared need is refused, and nothing leaks either way
    assert.throws(() => scoreArch(ARCH, ['user_sneaky'], ctx), /reads the activations without declaring needs\.activations/);
    assert.equal(tf.memory().numTensors, before);
  });
});

test('scorePoolAsync reports progress through onProgress: 0 first, then after each architecture', async () => {
  await initBackend('auto');
  const archs = [ARCH, parseArch('nb201', '|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|')];
  const events: ScoreProgress[] = [];
  const r = await scorePoolAsync(archs, ['params'], context(), { onProgress: (e) => events.push(e) });
  assert.equal(r.results.length, 2);
  assert.deepEqual(events, [
    { done: 0, total: 2 },
    { done: 1, total: 2, arch: archs[0]!.text },
    { done: 2, total: 2, arch: archs[1]!.text },
  ]);
});

test('a user proxy reaches worker processes through proxyModules', async () => {
  await initBackend('auto');
  const { scorePoolWorkers } = await import('../../src/proxies/workers.js');
  const ctx = context();
  const got = new Map<number, Record<string, number>>();
  const events: number[] = [];
  const r = await scorePoolWorkers([ARCH], ['params', 'user_logparams:k=1'], ctx, {
    workers: 1,
    backend: tf.getBackend(),
    proxyModules: [new URL('../helpers/user-proxy.ts', import.meta.url).href],
    onResult: (s, k) => got.set(k, s.scores),
    onProgress: (e) => events.push(e.done),
  });
  assert.deepEqual(r, { scored: 1, stopped: false });
  assert.equal(got.get(0)!['user_logparams:k=1'], Math.log(got.get(0)!.params!) + 1);
  assert.deepEqual(events, [0, 1]);
});
