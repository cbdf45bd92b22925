/**
 * Prometheus metrics. Each process keeps its own registry (the metrics it can see); the supervisor
 * gathers them all over the IPC channel and serves one merged view (prom-client's
 * AggregatorRegistry sums series with equal labels). Names follow Prometheus conventions: tutti_
 * prefix, base units, _total for counters.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30];

// Batcher.
export const requestsTotal = new Counter({
  name: 'tutti_requests_total',
  help: 'Requests received by the batcher, by op and by what became of them there (accepted into the queue, or the error code it answered)',
  labelNames: ['op', 'outcome'] as const,
  registers: [registry],
});
export const pendingRequests = new Gauge({
  name: 'tutti_pending_requests',
  help: 'Requests waiting in the queue for a batch',
  registers: [registry],
});
export const queueSeconds = new Histogram({
  name: 'tutti_queue_seconds',
  help: 'Time a request waited in the batcher before its batch left',
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});
export const batchRows = new Histogram({
  name: 'tutti_batch_size',
  help: 'Rows per batch sent to the members',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
  registers: [registry],
});
export const instancesGauge = new Gauge({
  name: 'tutti_instances',
  help: 'Live prediction worker instances, by member and device',
  labelNames: ['member', 'device'] as const,
  registers: [registry],
});
export const readyGauge = new Gauge({
  name: 'tutti_ready',
  help: '1 when every member has a live instance and the combiner is up',
  registers: [registry],
});
export const batchesRoutedTotal = new Counter({
  name: 'tutti_batches_routed_total',
  help: 'Batches the router sent to each instance (its share of the work)',
  labelNames: ['instance'] as const,
  registers: [registry],
});
export const interferedGauge = new Gauge({
  name: 'tutti_instance_interfered',
  help: 'Measured slowdown of an instance found interfered with (service time over its calibrated normal); 0 when not interfered',
  labelNames: ['instance'] as const,
  registers: [registry],
});
export const interferenceEventsTotal = new Counter({
  name: 'tutti_interference_events_total',
  help: 'Interference detected on (interfered) or cleared from (cleared) an instance',
  labelNames: ['instance', 'kind'] as const,
  registers: [registry],
});
export const refusedClientsTotal = new Counter({
  name: 'tutti_refused_clients_total',
  help: 'Client connections refused by the CurveZMQ allow-list (client endpoint and direct-reply port)',
  registers: [registry],
});

// Combiner.
export const inferencesTotal = new Counter({
  name: 'tutti_inferences_total',
  help: 'Inference requests answered by the combiner, by outcome (ok, partial, or the error code)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
export const cascadeExitsTotal = new Counter({
  name: 'tutti_cascade_exits_total',
  help: "Requests answered by a cascade's stage (0-based): early exits, and the last stage",
  labelNames: ['stage'] as const,
  registers: [registry],
});
export const cascadeMemberCallsTotal = new Counter({
  name: 'tutti_cascade_member_calls_total',
  help: 'Member calls spent on requests answered by the cascade (divided by its exits: member calls per request)',
  registers: [registry],
});
export const repliesTotal = new Counter({
  name: 'tutti_replies_total',
  help: 'Replies the combiner sent, by path: direct (straight to the client) or batcher (forwarded by the batcher); refused: not sent, the request was answered from another batch (a client re-sent it after a batcher restart); unsure: held back, the combiner before this one journaled it as sent',
  labelNames: ['path'] as const,
  registers: [registry],
});
export const requestSeconds = new Histogram({
  name: 'tutti_request_duration_seconds',
  help: 'Time from a request reaching the batcher to its answer leaving the combiner',
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});
export const combineSeconds = new Histogram({
  name: 'tutti_combine_seconds',
  help: 'Time the combination rule took per batch',
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

// Workers.
export const computeSeconds = new Histogram({
  name: 'tutti_member_compute_seconds',
  help: 'Time a member instance spent computing one batch',
  labelNames: ['member', 'device'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

/** Emulated devices: how late the real CPU compute made a batch against the emulated device's time (0 when it kept up). */
export const emulationLagSeconds = new Histogram({
  name: 'tutti_emulation_lag_seconds',
  help: 'Emulated devices only: how far the real compute overran the emulated time, per batch and member',
  labelNames: ['member'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});
