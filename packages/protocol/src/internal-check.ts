/**
 * Internal headers are checked on arrival like client messages: a header that decodes but is not
 * what its kind promises (a bug, a version mismatch, or garbage from someone who reached an internal
 * socket) is refused here with INTERNAL, naming what is wrong, before any process acts on it. The
 * checks are structural (types and shapes of fields), a few microseconds for a batch's plan.
 */
import { TuttiError } from '@tutti/core';

type Fields = Record<string, unknown>;

function fail(kind: string, what: string): never {
  throw new TuttiError('INTERNAL', `malformed ${kind} header: ${what}`);
}

const isInt = (v: unknown, min = 0): v is number => Number.isInteger(v) && (v as number) >= min;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBytes = (v: unknown): boolean => v instanceof Uint8Array;
const isNames = (v: unknown): boolean => Array.isArray(v) && v.every((n) => typeof n === 'string');

function need(kind: string, ok: boolean, what: string): void {
  if (!ok) fail(kind, what);
}

function checkSpecs(kind: string, specs: unknown, field: string): void {
  need(kind, Array.isArray(specs), `${field} is not a list`);
  for (const spec of specs as Fields[]) {
    need(
      kind,
      typeof spec === 'object' && spec !== null && typeof spec.name === 'string' && typeof spec.datatype === 'string',
      `${field} has an entry without name and datatype`,
    );
    need(
      kind,
      Array.isArray(spec.shape) && (spec.shape as unknown[]).every((d) => isInt(d)),
      `${field} "${String(spec.name)}" has no valid shape`,
    );
  }
}

function checkHello(kind: string, hello: Fields): void {
  need(kind, typeof hello === 'object' && hello !== null, 'no hello');
  need(
    kind,
    typeof hello.shard === 'string' && Array.isArray(hello.members) && (hello.members as unknown[]).every((m) => typeof m === 'string'),
    'shard or members missing',
  );
  need(kind, isInt(hello.instance) && typeof hello.device === 'string' && isInt(hello.credits, 1), 'instance, device or credits missing');
}

const CHECKS: Record<number, (header: Fields) => void> = {
  1: (h) => {
    need('BATCH', isNumber(h.batch), 'batch is not a number');
    checkSpecs('BATCH', h.inputs, 'inputs');
    need('BATCH', h.members === undefined || isNames(h.members), 'members is not a list of names');
    need('BATCH', h.plan === undefined || typeof h.plan === 'boolean', 'plan is not a flag');
  },
  2: (h) => {
    need('PLAN', isNumber(h.batch) && isInt(h.size), 'batch or size is not a number');
    need('PLAN', Array.isArray(h.parts), 'parts is not a list');
    need('PLAN', h.stage === undefined || (isInt(h.stage) && isNames(h.members)), 'a stage without its members');
    need('PLAN', h.generation === undefined || isInt(h.generation), 'generation is not a count');
    for (const part of h.parts as Fields[]) {
      need('PLAN', typeof part === 'object' && part !== null, 'a part is not a map');
      need(
        'PLAN',
        isInt(part.index) &&
          isInt(part.offset) &&
          isInt(part.count, 1) &&
          (part.offset as number) + (part.count as number) <= (h.size as number),
        'a part has no valid index, offset or count',
      );
      need('PLAN', Array.isArray(part.envelope) && (part.envelope as unknown[]).every(isBytes), 'a part has no envelope');
      need('PLAN', typeof part.id === 'string' || typeof part.id === 'number', 'a part has no request id');
      need('PLAN', isNumber(part.deadline) && isNumber(part.arrivedAt), 'a part has no deadline or arrival');
      need(
        'PLAN',
        part.target === undefined || (isNumber(part.target) && part.target > 0 && part.target <= 1),
        'a part has a target that is no accuracy',
      );
    }
  },
  3: (h) => {
    need('RESULT', isNumber(h.batch) && typeof h.shard === 'string' && isInt(h.instance), 'batch, shard or instance missing');
    need('RESULT', isNumber(h.serviceMs), 'serviceMs is not a number');
    need('RESULT', h.plan === undefined || typeof h.plan === 'boolean', 'plan is not a flag');
    need('RESULT', Array.isArray(h.results), 'results is not a list');
    for (const result of h.results as Fields[]) {
      need(
        'RESULT',
        typeof result === 'object' && result !== null && typeof result.member === 'string' && isNumber(result.computeMs),
        'a result has no member or computeMs',
      );
      checkSpecs('RESULT', result.outputs, 'outputs');
    }
  },
  4: (h) => checkHello('HELLO', h),
  5: (h) => need('CREDIT', isNumber(h.batch), 'batch is not a number'),
  6: (h) => checkHello('HEARTBEAT', h.hello as Fields),
  7: (h) => {
    need('REPLY', isNumber(h.batch) && typeof h.last === 'boolean', 'batch or last missing');
    need('REPLY', Array.isArray(h.parts) && Array.isArray(h.frames) && h.parts.length === h.frames.length, 'parts and frames do not match');
    need(
      'REPLY',
      (h.parts as unknown[]).every((p) => isInt(p)) && (h.frames as unknown[]).every((f) => isInt(f, 1)),
      'parts or frames are not counts',
    );
    for (const field of ['direct', 'unsure', 'continued'] as const) {
      need(
        'REPLY',
        h[field] === undefined || (Array.isArray(h[field]) && (h[field] as unknown[]).every((p) => isInt(p))),
        `${field} is not a list of parts`,
      );
    }
    need(
      'REPLY',
      h.credits === undefined ||
        (Array.isArray(h.credits) &&
          (h.credits as Fields[]).every(
            (c) => typeof c === 'object' && c !== null && typeof c.worker === 'string' && isNumber(c.serviceMs),
          )),
      'credits is not a list of workers and service times',
    );
  },
};

/** Throws INTERNAL naming the problem when `header` is not a well-formed internal header of a known kind. */
export function checkInternalHeader(header: Fields): void {
  const check = CHECKS[header.kind as number];
  if (!check) fail('internal', `unknown kind ${String(header.kind)}`);
  check(header);
}
