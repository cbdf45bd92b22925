export { TuttiClient, directReplyEndpoint, type ClientOptions, type InferOptions, type InferResult } from './client.js';
export { datatypeOfArray, fromWire, toWire, type TensorInput, type TensorOutput } from './tensors.js';
export type { ReplyCounts, RetryOptions } from './requests.js';
