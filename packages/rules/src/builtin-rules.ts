/** The built-in rules by the names a manifest uses. */
import { TuttiError } from '@tutti/core';
import { maxRule, meanRule, weightedMeanRule } from './elementwise-rules.js';
import { voteRule } from './vote-rule.js';
import type { CombinationRule } from './types.js';

export const BUILTIN_RULE_NAMES = ['mean', 'weighted-mean', 'vote', 'max'] as const;

export type BuiltinRuleName = (typeof BUILTIN_RULE_NAMES)[number];

const RULES: Record<BuiltinRuleName, CombinationRule> = {
  mean: meanRule,
  'weighted-mean': weightedMeanRule,
  vote: voteRule,
  max: maxRule,
};

export function isBuiltinRuleName(value: unknown): value is BuiltinRuleName {
  return typeof value === 'string' && (BUILTIN_RULE_NAMES as readonly string[]).includes(value);
}

/** The rule for a name; throws INVALID_OPTION for a name that is not built in (callers may pass config strings). */
export function builtinRule(name: BuiltinRuleName): CombinationRule {
  if (!isBuiltinRuleName(name)) {
    throw new TuttiError(
      'INVALID_OPTION',
      `unknown combination rule ${JSON.stringify(name)}, expected one of ${BUILTIN_RULE_NAMES.join(', ')}`,
    );
  }
  return RULES[name];
}
