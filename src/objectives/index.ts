/** Objectives for multi-objective search: syntax, evaluators, Pareto tooling. */
export * from './pareto.js';
export * from './spec.js';
export * from './objectives.js';
export * from './trained.js';
export * from './registry.js';
export * from './deployment.js';
