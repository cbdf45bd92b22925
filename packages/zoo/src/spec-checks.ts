/** Checks of zoo specs as they arrive from manifests (plain JSON): clear INVALID_OPTION errors naming the field. */
import { TuttiError } from '@tutti/core';

export function invalid(what: string, value: unknown, expected: string): never {
  throw new TuttiError('INVALID_OPTION', `${what} must be ${expected}, got ${JSON.stringify(value)}`);
}

export function checkObject(what: string, value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(what, value, 'an object');
}

/** Rejects keys the spec does not know: a typo in a manifest should not silently build a different model. */
export function checkKnownKeys(what: string, spec: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(spec).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new TuttiError('INVALID_OPTION', `${what} has unknown field(s) ${unknown.join(', ')}; known fields are ${known.join(', ')}`);
  }
}

export function positiveInteger(what: string, value: unknown, max = 1 << 20): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    invalid(what, value, `an integer from 1 to ${max}`);
  return value;
}

export function positiveIntegers(what: string, value: unknown, minLength: number): number[] {
  if (!Array.isArray(value) || value.length < minLength) invalid(what, value, `an array of at least ${minLength} positive integer(s)`);
  return value.map((item, index) => positiveInteger(`${what}[${index}]`, item));
}

export function seedOf(what: string, value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) invalid(what, value, 'an integer');
  return value;
}

export function tensorName(what: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) invalid(what, value, 'a non-empty string');
  return value;
}

export function oneOf<T extends string>(what: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly unknown[]).includes(value)) invalid(what, value, `one of ${allowed.join(', ')}`);
  return value as T;
}
