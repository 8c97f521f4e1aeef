/**
 * The live dashboard of an experiment store: `startDashboard({ store })` serves one page with the
 * runs, each run's trials (paged, sorted and filtered in SQL), the report's charts and live
 * updates over server-sent events. See server.ts for the safety rules.
 */
export { startDashboard, type Dashboard, type DashboardOptions } from './server.js';
export { DashboardQueries, trialQuerySchema, type RunSummary, type TrialPage, type TrialQuery, type TrialRow } from './queries.js';
export { dashboardCharts, type DashboardChart } from './charts.js';
export { EventHub } from './events.js';
