/**
 * @tutti/core: what every package shares and nothing more: typed errors with stable codes, tensor
 * datatypes and tensor types. No dependency: the pure packages (allocator, routing, rules, ...)
 * use it without loading MessagePack or sockets. @tutti/protocol re-exports it.
 */
export * from './datatypes.js';
export * from './errors.js';
export * from './tensor.js';
