import { dasScore, parseDasRule, type DasCache, type DasRule } from '../naswot.js';
import type { ProxyDefinition, ProxyInput } from '../proxy.js';

/** The DAS intermediate terms of an architecture, shared by das rules, dis, units and active. */
export const dasCache = (input: ProxyInput): DasCache => input.shared<DasCache>('das-cache', () => ({}));

/** A DAS combination rule (`das` = DEFAULT_DAS; `das:kernel=…,lambda=…,active=…,conn=…`): naswot.ts. */
export const dasProxy: ProxyDefinition<DasRule> = {
  name: 'das',
  description: 'dis_kernel + λ·units − α·B·active fraction + γ·B·ln MACs (the DAS decoupling of NASWOT; `das` is the default rule)',
  syntax: 'das:kernel=whole|layer|perlayer,lambda=X,active=Y,conn=Z',
  // the MACs are read only by rules with a connection term (conn ≠ 0)
  needs: { activations: true, macs: true },
  parse: parseDasRule,
  score: (input, rule) => dasScore(input.activations(), rule, dasCache(input), rule.conn ? input.macs() : undefined),
};
