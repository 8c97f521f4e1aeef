/** Distributed trials on BullMQ and Redis: the task list, the coordinator, the worker, the status. */
export * from './connection.js';
export * from './tasks.js';
export * from './coordinator.js';
export * from './worker.js';
export * from './status.js';
export * from './options.js';
