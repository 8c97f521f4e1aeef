import { naswotScore } from '../naswot.js';
import type { ProxyDefinition } from '../proxy.js';

/** NASWOT (Mellor et al., ICML 2021; BayesWatch/nas-without-training). */
export const naswotProxy: ProxyDefinition = {
  name: 'naswot',
  description: 'ln|det K_H| of the binary ReLU-input codes of the batch, BN in train mode (Mellor et al., ICML 2021)',
  needs: { activations: true },
  score: (input) => naswotScore(input.activations()),
};
