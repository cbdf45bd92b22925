/** Small schema builders shared by the manifest schema and the zoo spec, each worded for people. */
import { z } from 'zod';
import { expected, listOf, show } from './messages.js';

/** A strict object whose unknown-key message lists the keys that are allowed there. */
export function fields<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const allowed = listOf(Object.keys(shape));
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field; expected ${allowed}` : undefined),
  });
}

export function positiveInt() {
  const error = expected('a positive integer');
  return z.int({ error }).positive({ error });
}

/** A number in [min, max], worded as such whichever bound (or the type) is wrong. */
export function range(min: number, max: number, kind: 'integer' | 'number') {
  const error = expected(`${kind === 'integer' ? 'an integer' : 'a number'} from ${min} to ${max}`);
  return (kind === 'integer' ? z.int({ error }) : z.number({ error })).min(min, { error }).max(max, { error });
}

/**
 * A list whose entries need distinct names. The check runs even when some entry is otherwise
 * invalid (zod skips refinements after such issues by default) so that every problem shows at once.
 */
export function uniquelyNamed<Item extends z.ZodType<{ name: string }>>(item: Item, kind: string) {
  return z.array(item).superRefine(
    (items, ctx) => {
      const firstIndex = new Map<string, number>();
      items.forEach((entry: unknown, index) => {
        const name = (entry as { name?: unknown } | null)?.name;
        if (typeof name !== 'string') return;
        const first = firstIndex.get(name);
        if (first === undefined) firstIndex.set(name, index);
        else
          ctx.addIssue({
            code: 'custom',
            path: [index, 'name'],
            input: name,
            message: `duplicate ${kind} name ${show(name)}; ${kind}s[${first}] has it too`,
          });
      });
    },
    { when: (payload) => Array.isArray(payload.value) },
  );
}
