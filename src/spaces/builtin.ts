/** The shipped search spaces: one registration line per space. */
import { registerSpace } from './registry.js';
import { nb201Space } from './nb201-space.js';
import { dartsSpace } from './darts-space.js';
import { nb101Space } from './nb101-space.js';
import { mobileSpace } from './mobile.js';

registerSpace(nb201Space);
registerSpace(dartsSpace);
registerSpace(nb101Space);
registerSpace(mobileSpace);
