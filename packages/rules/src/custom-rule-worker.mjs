/**
 * Piscina worker of CustomRuleRunner: loads one custom rule module when the thread starts, then runs
 * it per batch and checks what it returns, so neither the rule nor the conversion of its result
 * touches the combiner's event loop.
 *
 * Plain JS on purpose: a worker thread does not get tsx's hooks from a parent started with
 * `node --import tsx` (on Node 20.20 a worker's `import()` of a .ts file failed with
 * ERR_UNKNOWN_FILE_EXTENSION even with `--import tsx` in its execArgv), and under vitest there is no
 * tsx at all. TypeScript rule modules are loaded through tsx's `tsImport`, which works in both.
 * No zeromq here, ever: terminating a thread that owns a socket aborts the process (NOTES.md).
 *
 * Answers are plain objects, never thrown errors: a thrown error crosses threads by structured
 * clone and loses everything but its message, and the parent wants to tell "the rule threw" from
 * "the rule returned garbage" from "the module did not load".
 */
import { workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';

const TYPESCRIPT_MODULE = /\.(?:ts|mts|cts|tsx)$/i;

/** @type {{ rule: Function, exportName: string } | { failure: { reason: string, stack?: string } }} */
const loaded = await loadRule(workerData.modulePath).catch((error) => ({ failure: failureOf('failed to load', error) }));

async function loadRule(modulePath) {
  const url = pathToFileURL(modulePath).href;
  const namespace = TYPESCRIPT_MODULE.test(modulePath)
    ? await (await import('tsx/esm/api')).tsImport(url, import.meta.url)
    : await import(url);
  // A CommonJS module arrives as { default: module.exports }, so look inside that object too.
  const exported = namespace.default;
  const candidates = [
    ['default', exported],
    ['combine', namespace.combine],
    ['default', exported?.default],
    ['combine', exported?.combine],
  ];
  for (const [exportName, candidate] of candidates) {
    if (typeof candidate === 'function') return { rule: candidate, exportName };
  }
  return {
    failure: {
      reason: `has no function export: expected a default export or an export named "combine", found exports [${Object.keys(namespace).join(', ')}]`,
    },
  };
}

function failureOf(what, error) {
  const reason = error instanceof Error ? `${what}: ${error.name}: ${error.message}` : `${what}: ${String(error)}`;
  return { reason, stack: error instanceof Error ? error.stack : undefined };
}

function kindOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `${/^[AEIOU]/.test(value.constructor.name) ? 'an' : 'a'} ${value.constructor.name}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Checks the rule's result against the input's outputs and shapes; returns the outputs and the
 * buffers to transfer, or the reason it is wrong.
 */
function checkResult(result, expected) {
  if (result === null || typeof result !== 'object' || Array.isArray(result) || ArrayBuffer.isView(result)) {
    return { reason: `returned ${kindOf(result)}, expected an object of Float32Arrays keyed by output name` };
  }
  const names = Object.keys(expected);
  for (const name of Object.keys(result)) {
    if (!Object.hasOwn(expected, name)) return { reason: `returned unknown output "${name}" (expected ${names.join(', ')})` };
  }
  const outputs = {};
  const buffers = new Set();
  for (const name of names) {
    const { shape } = expected[name];
    let length = 1;
    for (const dim of shape) length *= dim;
    let array = result[name];
    if (array === undefined) return { reason: `returned no output "${name}"` };
    if (Array.isArray(array)) {
      if (array.length !== length)
        return { reason: `returned output "${name}" with ${array.length} values, expected ${length} for shape [${shape.join(',')}]` };
      if (!array.every((value) => typeof value === 'number'))
        return { reason: `returned output "${name}" as an array holding non-numbers` };
      array = Float32Array.from(array);
    } else if (!(array instanceof Float32Array)) {
      return { reason: `returned output "${name}" as ${kindOf(array)}, expected a Float32Array or an array of numbers` };
    } else if (array.length !== length) {
      return { reason: `returned output "${name}" with ${array.length} values, expected ${length} for shape [${shape.join(',')}]` };
    }
    // Transfer only a buffer the array covers exactly: a view into a larger buffer (the packed input,
    // say) would drag the whole buffer along, and a SharedArrayBuffer cannot be transferred.
    const ownsBuffer =
      !(array.buffer instanceof SharedArrayBuffer) && array.byteOffset === 0 && array.byteLength === array.buffer.byteLength;
    if (!ownsBuffer) array = array.slice();
    buffers.add(array.buffer);
    outputs[name] = array;
  }
  return { outputs, buffers: [...buffers] };
}

/** task: { kind: 'describe' } at create(), then { kind: 'combine', input: CombineInput } per batch (see types.ts). */
export default async function runCustomRule(task) {
  if ('failure' in loaded) return { ok: false, ...loaded.failure };
  if (task.kind === 'describe') return { ok: true, exportName: loaded.exportName };
  let result;
  try {
    result = await loaded.rule(task.input);
  } catch (error) {
    return { ok: false, ...failureOf('threw', error) };
  }
  const checked = checkResult(result, task.input.outputs);
  if (checked.reason !== undefined) return { ok: false, reason: checked.reason };
  return Piscina.move({
    [Piscina.transferableSymbol]: checked.buffers,
    [Piscina.valueSymbol]: { ok: true, outputs: checked.outputs },
  });
}
