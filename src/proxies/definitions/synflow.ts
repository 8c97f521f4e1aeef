import type { ProxyDefinition } from '../proxy.js';
import { synflow } from '../zero-cost.js';

/** synflow (Tanaka et al., NeurIPS 2020): data-free, its own all-ones input and backward pass (zero-cost.ts). */
export const synflowProxy: ProxyDefinition = {
  name: 'synflow',
  description: 'ln(1 + Σ|W ⊙ ∂R/∂W|), |W| network, BN removed, all-ones input (Tanaka et al., NeurIPS 2020)',
  needs: {},
  score: (input) => synflow(input.net),
};
