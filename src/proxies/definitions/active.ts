import { activeFraction } from '../naswot.js';
import type { ProxyDefinition } from '../proxy.js';
import { dasCache } from './das.js';

/** Mean fraction of active ReLU units (a diagnostic). */
export const activeProxy: ProxyDefinition = {
  name: 'active',
  description: 'mean fraction of active ReLU units over the batch (diagnostic)',
  needs: { activations: true },
  score: (input) => {
    const cache = dasCache(input);
    return (cache.active ??= activeFraction(input.activations()));
  },
};
