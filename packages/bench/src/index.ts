export { poissonSchedule, seededRandom } from './poisson.js';
export { LatencyRecorder, type LatencySummary } from './latency.js';
export { runStep, shares, type StepOptions, type StepResult } from './run-load.js';
export { startBaseline, type RunningSystem } from './systems.js';
export { histogramSums, meansBetween } from './breakdown.js';
export { throughputLatencySvg, type Series } from './plot.js';
