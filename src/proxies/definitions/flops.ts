import type { ProxyDefinition } from '../proxy.js';

/** Multiply-accumulates per image in millions, as NAS-Bench-201's counter gives them. */
export const flopsProxy: ProxyDefinition = {
  name: 'flops',
  description: 'multiply-accumulates per image (M) of the conv and linear layers',
  needs: { macs: true },
  score: (input) => input.macs() / 1e6,
};
