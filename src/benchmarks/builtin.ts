/** The shipped benchmark tables: one registration line per table. */
import { registerBenchmark } from './registry.js';
import { nb201Benchmark } from './nb201-table.js';

registerBenchmark(nb201Benchmark);
