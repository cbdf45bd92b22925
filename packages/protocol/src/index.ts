/** @tutti/protocol: the client wire protocol (wire.ts), the internal frames (internal.ts) and the agent link (agent.ts), with @tutti/core re-exported. */
export * from '@tutti/core';
export * from './wire.js';
export * from './internal.js';
export * from './send-queue.js';
export * from './agent.js';
