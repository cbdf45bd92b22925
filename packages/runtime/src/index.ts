export * from './device.js';
export * from './session.js';
