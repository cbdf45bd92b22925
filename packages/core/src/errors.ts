/**
 * Typed errors with stable codes. Request-level codes are those of the wire protocol (docs/PROTOCOL.md);
 * configuration and process codes are for operators and never travel to clients.
 */

export const REQUEST_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'DEADLINE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type RequestErrorCode = (typeof REQUEST_ERROR_CODES)[number];

export const CONFIG_ERROR_CODES = ['INVALID_MANIFEST', 'INVALID_OPTION', 'MODEL_ERROR', 'PROCESS_FAILED', 'ALLOCATION_FAILED'] as const;

export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

export type ErrorCode = RequestErrorCode | ConfigErrorCode;

export class TuttiError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TuttiError';
    this.code = code;
  }
}

export function isRequestErrorCode(value: unknown): value is RequestErrorCode {
  return typeof value === 'string' && (REQUEST_ERROR_CODES as readonly string[]).includes(value);
}

/** Throws INVALID_OPTION when a constructor option is wrong: options are checked when an object is built. */
export function invalidOption(what: string, value: unknown, expected: string): never {
  throw new TuttiError('INVALID_OPTION', `${what} must be ${expected}, got ${JSON.stringify(value)}`);
}
