import './builtin.js';
export {
  NB201_ACCURACY_COLUMNS,
  NB201_LATENCY_COLUMNS,
  NB201_NUM_ARCHS,
  NB201_REQUIRED_COLUMNS,
  Nb201Table,
  defaultNb201Path,
  isNb201Arch,
  loadNb201Table,
  nb201Benchmark,
  normalizeArch,
  parseNb201Csv,
} from './nb201-table.js';
export type { LoadNb201Options, Nb201Row } from './nb201-table.js';
export * from './registry.js';
