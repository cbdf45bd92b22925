export * from './datatypes.js';
export * from './errors.js';
export * from './tensor.js';
export * from './wire.js';
export * from './internal.js';
