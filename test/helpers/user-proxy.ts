/**
 * A user's own proxy in a module of its own, as scorePoolWorkers' `proxyModules` loads it in each
 * worker: registering it is the module's only effect.
 */
import { registerProxy, type ProxyDefinition } from '../../src/proxies/index.js';

/** ln(params in M) + the option `k` (default 0): `user_logparams` or `user_logparams:k=2`. */
export const userLogParams: ProxyDefinition<{ k: number }> = {
  name: 'user_logparams',
  description: 'test: ln(params in M) + k',
  needs: {},
  syntax: 'user_logparams:k=X',
  parse: (spec) => {
    const m = /^user_logparams(?::k=(-?[\d.]+))?$/.exec(spec);
    if (!m) throw new Error(`bad user_logparams spec '${spec}'`);
    return { k: Number(m[1] ?? 0) };
  },
  score: (input, o) => Math.log(input.net.paramCount() / 1e6) + o.k,
};

registerProxy(userLogParams);
