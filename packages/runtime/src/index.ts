export * from './device.js';
export * from './session.js';
export * from './providers.js';
