import type { ProxyDefinition } from '../proxy.js';
import { jacobCov } from '../zero-cost.js';

/** jacob_cov (NASWOT arXiv v1, 2020): its own input-Jacobian backward pass on the batch. */
export const jacobCovProxy: ProxyDefinition = {
  name: 'jacob_cov',
  description: 'eigenvalue score of the correlation of the per-sample input Jacobians (NASWOT arXiv v1)',
  needs: { batch: true },
  score: (input) => jacobCov(input.net, input.batch().x),
};
