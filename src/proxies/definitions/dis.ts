import { dasTerms } from '../naswot.js';
import type { ProxyDefinition } from '../proxy.js';
import { dasCache } from './das.js';

/** ln|K̂|, K̂ = K_H / N_A: distinguishing ability, the first DAS atomic term. */
export const disProxy: ProxyDefinition = {
  name: 'dis',
  description: 'ln|K_H / N_A|: distinguishing ability, the first DAS atomic term',
  needs: { activations: true },
  score: (input) => {
    const cache = dasCache(input);
    return (cache.terms ??= dasTerms(input.activations())).dis;
  },
};
