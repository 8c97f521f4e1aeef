/** Commands beyond `arch`: each module exports a factory; add one line per command here. */
import type { Command } from 'commander';

export const COMMANDS: (() => Command)[] = [];
