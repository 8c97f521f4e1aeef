/** Commands beyond `arch`: each module exports a factory; add one line per command here. */
import type { Command } from 'commander';
import { scoreCommand } from './score.js';
import { correlateCommand } from './correlate.js';
import { searchCommand } from './search.js';
import { trainCommand } from './train.js';
import { exportCommand } from './export.js';
import { dtbCommand } from './dtb.js';
import { reportCommand } from './report.js';
import { dashboardCommand } from './dashboard.js';
import { workerCommand } from './worker.js';
import { queueCommand } from './queue.js';

export const COMMANDS: (() => Command)[] = [scoreCommand, correlateCommand, searchCommand, trainCommand, exportCommand, dtbCommand, reportCommand, dashboardCommand, workerCommand, queueCommand];
