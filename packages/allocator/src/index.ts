export * from './types.js';
export { latencyOf, instanceThroughput, settingsFor, pickSetting, type Setting } from './profiles.js';
export { costModelProfile, estimatedMemoryBytes, threadSpeedup, RUNTIME_OVERHEAD_BYTES, type ModelCost } from './cost-model.js';
export { predict, deviceShares, fits } from './predict.js';
export { worstFit, baseline, placeWorstFit } from './worst-fit.js';
export { greedy, instancesKey, type GreedyOptions } from './greedy.js';
export { joinHost, repairPlan, groupsOnDevices, onHost, profilesOnHost } from './hosts.js';
export { allocate } from './allocate.js';
export { checkInput } from './validate.js';
export { formatPlan, deviceLabel, matrixCell } from './format.js';
export { planToJson, parsePlan } from './plan-file.js';
export { formatBytes, formatRate } from './units.js';
export type { DeviceType, CatalogueInput, HardwareSearchOptions, SearchProgress, Mix, RankedMix, HardwareChoice } from './budget-types.js';
export {
  HardwareSearch,
  mixLabel,
  rankByThroughput,
  THROUGHPUT_TIE,
  DEFAULT_CANDIDATES,
  DEFAULT_MAX_MIXES,
  DEFAULT_MAX_ALLOCATIONS,
} from './budget.js';
export { throughputBound, rowCosts, deviceCapacity, maximise } from './budget-bound.js';
export { allocationInput as mixAllocationInput, instantiate as instantiateMix, checkCatalogue } from './budget-check.js';
export { formatHardwareChoice } from './budget-format.js';
export { chooseLayout, idleLatencyMs, predictLayout, type LayoutOptions, type LayoutPrediction } from './layout.js';
