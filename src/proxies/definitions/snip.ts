import type { ProxyDefinition } from '../proxy.js';
import { snipOf } from '../zero-cost.js';

/** snip (Lee et al., ICLR 2019), as zero-cost-nas computes it. */
export const snipProxy: ProxyDefinition = {
  name: 'snip',
  description: 'Σ|W ⊙ ∂L/∂W| over the conv and linear weights (Lee et al., ICLR 2019)',
  needs: { gradients: true },
  score: (input) => snipOf(input.gradients()),
};
