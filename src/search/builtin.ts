/** The built-in strategies, registered once: one line per strategy (family). */
import { registerStrategy } from './registry.js';
import { differentiableStrategies } from './strategies/differentiable.js';
import { evolutionStrategy } from './strategies/evolution.js';
import { naswotStrategy } from './strategies/naswot.js';
import { nsga2Strategy } from './strategies/nsga2.js';
import { randomStrategy } from './strategies/random.js';
import { tndNasStrategy } from './strategies/tnd-nas.js';

registerStrategy(naswotStrategy);
for (const s of differentiableStrategies) registerStrategy(s);
registerStrategy(nsga2Strategy);
registerStrategy(randomStrategy);
registerStrategy(tndNasStrategy);
registerStrategy(evolutionStrategy);
