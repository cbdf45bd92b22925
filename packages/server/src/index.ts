export { Server, type ServeOptions, type ProcessInfo } from './supervisor.js';
export type { LogFormat } from './log.js';
export { BatchingPolicy, type BatchingOptions, type Queued } from './batching-policy.js';
export { BatchAssembler, type CompleteBatch, type MemberResult } from './batch-assembly.js';
export { z85Encode, type CurveConfig } from './curve.js';
export { registry as metricsRegistry } from './metrics.js';
export { bundleEntries } from './bundle.js';
