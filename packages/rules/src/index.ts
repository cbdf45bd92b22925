export * from './types.js';
export * from './check-input.js';
export * from './elementwise-rules.js';
export * from './vote-rule.js';
export * from './builtin-rules.js';
export * from './custom-rule-runner.js';
export * from './cascade.js';
