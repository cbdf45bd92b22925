/**
 * Wording of schema problems. Zod's default messages ("Too small: expected number to be >0") speak
 * of types; people editing a manifest need to see what was expected and what they wrote, so every
 * message here has the shape "expected <what>, got <value>".
 */
import type { z } from 'zod';

/** A value as it would appear in the manifest, short enough for one line. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  }
  return String(value);
}

/** "a, b, c or d" */
export function listOf(items: readonly string[], conjunction = 'or'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1)}`;
}

/** A schema-level error that says what was expected (or "required" when the field is absent). */
export function expected(what: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined ? `required: ${what}` : `expected ${what}, got ${show(issue.input)}`;
}

/** A schema-level error worded by `message`, or "required" when the field is absent. */
export function unlessMissing(what: string, message: (input: unknown) => string) {
  return (issue: { input?: unknown }): string => (issue.input === undefined ? `required: ${what}` : message(issue.input));
}

const ARTICLE: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  tuple: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/**
 * The per-parse error map: the fallback wording for every issue a schema did not word itself.
 * Returning undefined keeps zod's own message.
 */
export const describeIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      const what = ARTICLE[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return `required: ${what}`;
      return `expected ${what}, got ${show(issue.input)}`;
    }
    case 'too_small':
      if (issue.origin === 'array') return `expected at least ${issue.minimum} entr${issue.minimum === 1 ? 'y' : 'ies'}`;
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.minimum === 0 && !issue.inclusive) return `expected a positive number, got ${show(issue.input)}`;
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, got ${show(issue.input)}`;
    case 'too_big':
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}, got ${show(issue.input)}`;
    case 'invalid_value':
      return `expected ${listOf(issue.values.map((value) => show(value)))}, got ${show(issue.input)}`;
    case 'invalid_format':
      return `expected ${issue.format}, got ${show(issue.input)}`;
    case 'unrecognized_keys':
      return 'unknown field';
    default:
      return undefined;
  }
};
