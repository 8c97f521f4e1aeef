import { dasTerms } from '../naswot.js';
import type { ProxyDefinition } from '../proxy.js';
import { dasCache } from './das.js';

/** B·ln N_A, the number-of-activation-units DAS term; naswot = dis + units. */
export const unitsProxy: ProxyDefinition = {
  name: 'units',
  description: 'B·ln N_A: the number-of-activation-units DAS term (naswot = dis + units)',
  needs: { activations: true },
  score: (input) => {
    const cache = dasCache(input);
    return (cache.terms ??= dasTerms(input.activations())).units;
  },
};
