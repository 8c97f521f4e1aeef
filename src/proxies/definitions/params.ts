import type { ProxyDefinition } from '../proxy.js';

/** Trainable parameters in millions, as NAS-Bench-201 counts them. */
export const paramsProxy: ProxyDefinition = {
  name: 'params',
  description: 'trainable parameters (M), auxiliary head excluded',
  needs: {},
  score: (input) => input.net.paramCount() / 1e6,
};
