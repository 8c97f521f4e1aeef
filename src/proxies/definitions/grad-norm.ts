import type { ProxyDefinition } from '../proxy.js';
import { gradNormOf } from '../zero-cost.js';

/** grad_norm (Abdelfattah et al., ICLR 2021). */
export const gradNormProxy: ProxyDefinition = {
  name: 'grad_norm',
  description: 'Σ over conv and linear layers of ‖∂L/∂W‖₂ (Abdelfattah et al., ICLR 2021)',
  needs: { gradients: true },
  score: (input) => gradNormOf(input.gradients()),
};
