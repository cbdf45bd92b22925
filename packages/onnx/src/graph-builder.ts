/**
 * A small builder for ONNX graphs: initializers as little-endian raw_data, nodes with typed
 * attributes, inputs and outputs with dynamic dimensions. Produces IR 8 / opset 17 models, which
 * onnxruntime 1.30 runs.
 */
import { endianness } from 'node:os';

import { TuttiError, type Datatype } from '@tutti/core';

import { elemTypeOfDatatype } from './elem-types.js';
import { onnx, type IAttributeProto, type INodeProto, type ITensorProto, type IValueInfoProto, type ModelProto } from './proto.js';

export const IR_VERSION = 8;
export const OPSET_VERSION = 17;

/** An attribute value, tagged with its ONNX type (a bare number would not say whether it is an int or a float). */
export type Attribute =
  { int: number } | { float: number } | { string: string } | { ints: readonly number[] } | { floats: readonly number[] };

/** A dimension: a size, or -1 / a name for a dynamic one (-1 in the first position is named 'batch'). */
export type Dim = number | string;

export interface BuildOptions {
  producerName?: string;
  docString?: string;
  /** Stored as the model's metadata_props (onnxruntime exposes them as custom metadata). */
  metadata?: Record<string, string>;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** The bytes of a typed array in little-endian order, as ONNX raw_data requires. Copies, so later edits of the array do not leak in. */
function littleEndianBytes(array: Float32Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(array.byteLength);
  if (LITTLE_ENDIAN_HOST) {
    bytes.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return bytes;
  }
  const view = new DataView(bytes.buffer);
  if (array instanceof Float32Array) array.forEach((value, i) => view.setFloat32(i * 4, value, true));
  else array.forEach((value, i) => view.setBigInt64(i * 8, value, true));
  return bytes;
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

function toAttributeProto(name: string, value: Attribute): IAttributeProto {
  const Type = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: Type.INT, i: value.int };
  if ('float' in value) return { name, type: Type.FLOAT, f: value.float };
  if ('string' in value) return { name, type: Type.STRING, s: new TextEncoder().encode(value.string) };
  if ('ints' in value) return { name, type: Type.INTS, ints: [...value.ints] };
  return { name, type: Type.FLOATS, floats: [...value.floats] };
}

function valueInfo(name: string, datatype: Datatype, shape: readonly Dim[]): IValueInfoProto {
  const dim = shape.map((size, index) => {
    if (typeof size === 'string') return { dimParam: size };
    if (size === -1) return { dimParam: index === 0 ? 'batch' : `dim_${index}` };
    if (!Number.isInteger(size) || size < 0) {
      throw new TuttiError('INVALID_OPTION', `dimension ${index} of ${name} must be a size, -1 or a name, got ${size}`);
    }
    return { dimValue: size };
  });
  return { name, type: { tensorType: { elemType: elemTypeOfDatatype(datatype), shape: { dim } } } };
}

export class GraphBuilder {
  readonly #name: string;
  readonly #inputs: IValueInfoProto[] = [];
  readonly #outputs: IValueInfoProto[] = [];
  readonly #initializers: ITensorProto[] = [];
  readonly #nodes: INodeProto[] = [];
  /** Every tensor name produced so far (inputs, initializers, node outputs): names must be unique. */
  readonly #names = new Set<string>();
  readonly #counters = new Map<string, number>();

  constructor(name = 'graph') {
    this.#name = name;
  }

  /** A fresh tensor or node name starting with prefix ('conv' -> 'conv_0', 'conv_1', ...). */
  uniqueName(prefix: string): string {
    let n = this.#counters.get(prefix) ?? 0;
    let name = `${prefix}_${n}`;
    while (this.#names.has(name)) name = `${prefix}_${++n}`;
    this.#counters.set(prefix, n + 1);
    return name;
  }

  #claim(name: string): string {
    if (!name) throw new TuttiError('INVALID_OPTION', 'tensor names must be non-empty');
    if (this.#names.has(name)) throw new TuttiError('INVALID_OPTION', `tensor name ${JSON.stringify(name)} is used twice`);
    this.#names.add(name);
    return name;
  }

  addInput(name: string, datatype: Datatype, shape: readonly Dim[]): string {
    this.#inputs.push(valueInfo(this.#claim(name), datatype, shape));
    return name;
  }

  /** Declares a graph output; name must be produced by a node (or be an input or initializer). */
  addOutput(name: string, datatype: Datatype, shape: readonly Dim[]): string {
    this.#outputs.push(valueInfo(name, datatype, shape));
    return name;
  }

  /** A float initializer; dims default to a 1-D tensor of the array's length. */
  addFloatInitializer(name: string, data: Float32Array, dims: readonly number[] = [data.length]): string {
    this.#checkDims(name, data.length, dims);
    this.#initializers.push({
      name: this.#claim(name),
      dataType: onnx.TensorProto.DataType.FLOAT,
      dims: [...dims],
      rawData: littleEndianBytes(data),
    });
    return name;
  }

  /** An int64 initializer (shapes, axes); dims default to a 1-D tensor of the values' length. */
  addInt64Initializer(
    name: string,
    values: BigInt64Array | readonly (number | bigint)[],
    dims: readonly number[] = [values.length],
  ): string {
    const data = values instanceof BigInt64Array ? values : BigInt64Array.from(values, (value) => BigInt(value));
    this.#checkDims(name, data.length, dims);
    this.#initializers.push({
      name: this.#claim(name),
      dataType: onnx.TensorProto.DataType.INT64,
      dims: [...dims],
      rawData: littleEndianBytes(data),
    });
    return name;
  }

  #checkDims(name: string, length: number, dims: readonly number[]): void {
    if (!dims.every((dim) => Number.isInteger(dim) && dim >= 0) || elementCount(dims) !== length) {
      throw new TuttiError('INVALID_OPTION', `initializer ${name} has ${length} values, which does not fit dims [${dims.join(', ')}]`);
    }
  }

  /**
   * Adds a node. outputs may be names or a count of fresh names to make; returns the output names.
   * Inputs are not checked here: ONNX allows '' for an omitted optional input.
   */
  addNode(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[] | number = 1,
    attributes: Record<string, Attribute> = {},
  ): string[] {
    const prefix = opType.toLowerCase();
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.uniqueName(prefix)) : [...outputs];
    for (const name of names) this.#claim(name);
    this.#nodes.push({
      name: this.uniqueName(`${prefix}_node`),
      opType,
      input: [...inputs],
      output: names,
      attribute: Object.entries(attributes).map(([key, value]) => toAttributeProto(key, value)),
    });
    return names;
  }

  /** Adds a node with one output and returns that output's name. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}, output?: string): string {
    return this.addNode(opType, inputs, output === undefined ? 1 : [output], attributes)[0]!;
  }

  build(options: BuildOptions = {}): ModelProto {
    if (this.#outputs.length === 0) throw new TuttiError('INVALID_OPTION', `graph ${this.#name} declares no outputs`);
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET_VERSION }],
      producerName: options.producerName ?? 'tutti',
      docString: options.docString ?? '',
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.#name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
    });
  }
}
