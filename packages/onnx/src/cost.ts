/**
 * A rough cost of a model per sample: multiply-accumulates of its Conv, Gemm and MatMul nodes and
 * the bytes of its parameters. Shapes are propagated from the inputs (batch 1) and initializers
 * through the ops the zoo emits; elementwise ops, pooling and softmax count as free, being small
 * next to the convolutions and products. Feeds an allocator's cost model, not a profiler.
 */
import { datatypeInfo } from '@tutti/core';

import { datatypeOfElemType } from './elem-types.js';
import { decodeModel } from './model-io.js';
import { toNumber, type INodeProto, type ModelProto } from './proto.js';

export interface ModelCost {
  /** Multiply-accumulates for one sample (batch dimension 1). */
  macs: number;
  /** Number of values in the initializers. */
  parameters: number;
  /** Bytes of the initializers. */
  parameterBytes: number;
  /** Names (or op types) of Conv/Gemm/MatMul nodes whose input shapes could not be worked out, so their MACs are missing. */
  uncounted: string[];
}

type Shape = number[];

const SHAPE_PRESERVING = new Set([
  'Relu',
  'LeakyRelu',
  'Tanh',
  'Sigmoid',
  'Softmax',
  'LogSoftmax',
  'Identity',
  'Dropout',
  'Clip',
  'Exp',
  'Neg',
  'Sqrt',
  'Abs',
  'Erf',
  'BatchNormalization',
]);
const BROADCASTING = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min']);

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

function attributeInts(node: INodeProto, name: string): number[] | undefined {
  const attribute = node.attribute?.find((a) => a.name === name);
  return attribute?.ints?.map((value) => toNumber(value));
}

function attributeInt(node: INodeProto, name: string, fallback: number): number {
  const attribute = node.attribute?.find((a) => a.name === name);
  return attribute?.i !== undefined && attribute.i !== null ? toNumber(attribute.i) : fallback;
}

/** numpy broadcasting of two shapes, or undefined when they do not broadcast. */
function broadcast(a: Shape, b: Shape): Shape | undefined {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Output spatial sizes of a sliding window (Conv, pooling) with explicit pads; auto_pad is not supported. */
function windowOutput(node: INodeProto, spatial: Shape, kernel: Shape): Shape | undefined {
  const autoPad = node.attribute?.find((a) => a.name === 'auto_pad')?.s;
  if (autoPad && autoPad.length > 0 && new TextDecoder().decode(autoPad) !== 'NOTSET') return undefined;
  const n = spatial.length;
  const strides = attributeInts(node, 'strides') ?? Array<number>(n).fill(1);
  const dilations = attributeInts(node, 'dilations') ?? Array<number>(n).fill(1);
  const pads = attributeInts(node, 'pads') ?? Array<number>(2 * n).fill(0);
  const round = attributeInt(node, 'ceil_mode', 0) === 1 ? Math.ceil : Math.floor;
  return spatial.map((size, i) => round((size + pads[i]! + pads[i + n]! - dilations[i]! * (kernel[i]! - 1) - 1) / strides[i]!) + 1);
}

/** Output shape and MACs of one node, given its input shapes (undefined where unknown). */
function nodeCost(node: INodeProto, inputs: (Shape | undefined)[]): { output: Shape | undefined; macs: number | undefined } {
  const [a, b] = inputs;
  const op = node.opType ?? '';
  switch (op) {
    case 'Conv': {
      if (!a || !b || a.length < 3) return { output: undefined, macs: undefined };
      const kernel = b.slice(2);
      const spatial = windowOutput(node, a.slice(2), kernel);
      if (!spatial) return { output: undefined, macs: undefined };
      const output = [a[0]!, b[0]!, ...spatial];
      return { output, macs: product(output) * product(b.slice(1)) };
    }
    case 'Gemm': {
      if (!a || !b || a.length !== 2 || b.length !== 2) return { output: undefined, macs: undefined };
      const [m, k] = attributeInt(node, 'transA', 0) ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
      const n = attributeInt(node, 'transB', 0) ? b[0]! : b[1]!;
      return { output: [m, n], macs: m * k * n };
    }
    case 'MatMul': {
      if (!a || !b || a.length === 0 || b.length === 0) return { output: undefined, macs: undefined };
      // 1-D operands are promoted to matrices and the added dimension dropped again, as in numpy.
      const left = a.length === 1 ? [1, a[0]!] : a;
      const right = b.length === 1 ? [b[0]!, 1] : b;
      const batch = broadcast(left.slice(0, -2), right.slice(0, -2));
      if (!batch) return { output: undefined, macs: undefined };
      const k = left[left.length - 1]!;
      const output = [...batch, ...(a.length === 1 ? [] : [left[left.length - 2]!]), ...(b.length === 1 ? [] : [right[right.length - 1]!])];
      return { output, macs: product(batch) * left[left.length - 2]! * k * right[right.length - 1]! };
    }
    case 'MaxPool':
    case 'AveragePool': {
      const kernel = attributeInts(node, 'kernel_shape');
      const spatial = a && kernel ? windowOutput(node, a.slice(2), kernel) : undefined;
      return { output: a && spatial ? [a[0]!, a[1]!, ...spatial] : undefined, macs: 0 };
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return { output: a ? [a[0]!, a[1]!, ...a.slice(2).map(() => 1)] : undefined, macs: 0 };
    case 'Flatten': {
      if (!a) return { output: undefined, macs: 0 };
      const axis = attributeInt(node, 'axis', 1);
      const split = axis < 0 ? axis + a.length : axis;
      return { output: [product(a.slice(0, split)), product(a.slice(split))], macs: 0 };
    }
    default:
      if (SHAPE_PRESERVING.has(op)) return { output: a, macs: 0 };
      if (BROADCASTING.has(op)) return { output: a && b ? broadcast(a, b) : undefined, macs: 0 };
      return { output: undefined, macs: 0 };
  }
}

/** The cost of a model (its bytes, or the decoded model) for one sample. */
export function countModelCost(model: Uint8Array | ModelProto): ModelCost {
  const decoded = model instanceof Uint8Array ? decodeModel(model) : model;
  const graph = decoded.graph;
  const shapes = new Map<string, Shape>();
  let parameters = 0;
  let parameterBytes = 0;
  for (const tensor of graph?.initializer ?? []) {
    const dims = (tensor.dims ?? []).map((dim) => toNumber(dim));
    shapes.set(tensor.name ?? '', dims);
    const count = product(dims);
    const datatype = datatypeOfElemType(tensor.dataType ?? 0);
    parameters += count;
    parameterBytes +=
      tensor.rawData && tensor.rawData.length > 0 ? tensor.rawData.length : count * (datatype ? datatypeInfo(datatype).bytes : 4);
  }
  for (const input of graph?.input ?? []) {
    if (shapes.has(input.name ?? '')) continue;
    const dims = input.type?.tensorType?.shape?.dim;
    if (!dims) continue;
    // Per sample: a dynamic leading (batch) dimension counts as 1; other dynamic dimensions leave the shape unknown.
    const shape = dims.map((dim, index) =>
      dim.dimValue !== null && dim.dimValue !== undefined && !dim.dimParam ? toNumber(dim.dimValue) : index === 0 ? 1 : NaN,
    );
    if (!shape.some(Number.isNaN)) shapes.set(input.name ?? '', shape);
  }

  let macs = 0;
  const uncounted: string[] = [];
  // ONNX requires nodes in topological order, so one pass sees every input's shape before its use.
  for (const node of graph?.node ?? []) {
    const cost = nodeCost(
      node,
      (node.input ?? []).map((name) => shapes.get(name)),
    );
    if (cost.macs === undefined) uncounted.push(node.name || (node.opType ?? '?'));
    else macs += cost.macs;
    const output = node.output?.[0];
    if (output && cost.output) shapes.set(output, cost.output);
  }
  return { macs, parameters, parameterBytes, uncounted };
}
