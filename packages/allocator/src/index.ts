export * from './types.js';
export { latencyOf, instanceThroughput, settingsFor, type Setting } from './profiles.js';
export { predict, deviceUsage, fits } from './predict.js';
export { worstFit, baseline, placeWorstFit } from './worst-fit.js';
export { greedy } from './greedy.js';
export { allocate } from './allocate.js';
export { formatPlan, deviceLabel } from './format.js';
export { planToJson, parsePlan } from './plan-file.js';
export { formatBytes } from './units.js';
