/** @tutti/protocol: the client wire protocol (wire.ts) and the internal frames (internal.ts), with @tutti/core re-exported. */
export * from '@tutti/core';
export * from './wire.js';
export * from './internal.js';
export * from './send-queue.js';
