/**
 * @tutti/planner: from an ensemble to a plan, with the I/O that takes: the devices (detected, or
 * declared in a file), each member's profile on each (measured and cached, or modelled), then the
 * allocator's placement and layout (`planEnsemble`); or, under a budget, which devices to buy
 * (`chooseHardwareFor`). The pure decisions are @tutti/allocator's; this package feeds them.
 * Used by `tutti allocate`, `tutti serve`, `tutti demo`, `tutti bench` and the benchmarks.
 */
export { planEnsemble, latencyBudgetOf, type PlanningOptions, type Planned } from './plan-ensemble.js';
export { chooseHardwareFor, searchProgressReporter, type HardwarePlanningOptions, type HardwarePlanned } from './hardware-choice.js';
