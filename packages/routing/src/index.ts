export { Router, ROUTING_POLICIES, type RoutingPolicy, type RouterOptions, type Route, type InterferenceChange } from './router.js';
export { InstanceState, type InstanceDescription } from './instance-state.js';
export { InterferenceDetector, type DetectorOptions, type DetectorEvent } from './interference.js';
export { ServiceModel, profileLatency, type LatencyPoint, type ServiceModelOptions } from './service-model.js';
