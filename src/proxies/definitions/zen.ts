import type { ProxyDefinition } from '../proxy.js';
import { zen } from '../zero-cost.js';

/** Zen-score (Lin et al., ICCV 2021): re-initialises weights, so it runs on a fresh network of its own. */
export const zenProxy: ProxyDefinition = {
  name: 'zen',
  description: 'ln Δ + Σ_BN ln √mean(running_var) with Gaussian weights and inputs (Lin et al., ICCV 2021)',
  needs: {},
  score: (input) => {
    const net = input.freshNetwork();
    try {
      return zen(net, Math.min(input.ctx.batch, 64), input.ctx.seed);
    } finally {
      net.dispose();
    }
  },
};
