/** The shipped search spaces: one registration line per space. */
import { registerSpace } from './registry.js';
import { nb201Space } from './nb201-space.js';
import { dartsSpace } from './darts-space.js';

registerSpace(nb201Space);
registerSpace(dartsSpace);
