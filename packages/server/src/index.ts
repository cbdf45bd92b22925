export { Server, type ServeOptions, type ProcessInfo } from './supervisor/supervisor.js';
export type { LogFormat } from './shared/log.js';
export { BatchingPolicy, type BatchingOptions, type Queued } from './batcher/batching-policy.js';
export { BatchAssembler, type CompleteBatch, type MemberResult } from './combiner/batch-assembly.js';
export { z85Encode, type CurveConfig } from './shared/curve.js';
export { registry as metricsRegistry } from './shared/metrics.js';
export { bundleEntries } from './supervisor/bundle.js';
export { Agent, type AgentOptions } from './agent/agent.js';
