/**
 * An ONNX model's graph inputs, outputs and initializer names, read from the file without reading
 * its weights. A model file is one protobuf message; its weights are length-delimited fields
 * (initializers' raw_data) that a reader can step over by their length. So this walks the file's
 * fields with small positional reads, decodes only the graph's `input` and `output` entries and the
 * names of its initializers, and skips the rest: a few hundred reads of a few bytes for a model of
 * any size, where decoding the whole file read it all (87 MB for zoo-cnn's resnet34) and decoded
 * every tensor.
 *
 * Field numbers (onnx.proto3): ModelProto.graph = 7; GraphProto.initializer = 5, input = 11,
 * output = 12; TensorProto.name = 8.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { TuttiError } from '@tutti/core';
import { onnx, type IValueInfoProto } from './proto.js';

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const TENSOR_NAME = 8;
/** A field's tag and length take at most 10 + 10 bytes (two varints). */
const HEADER_BYTES = 20;

export interface GraphHeader {
  inputs: IValueInfoProto[];
  outputs: IValueInfoProto[];
  initializerNames: Set<string>;
}

interface Field {
  number: number;
  wireType: number;
  /** Where the field's value starts, and its length for length-delimited fields. */
  start: number;
  length: number;
}

/** Reads the graph's header of the model at `path`; MODEL_ERROR when it is not an ONNX model. */
export function readGraphHeader(path: string): GraphHeader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new TuttiError('MODEL_ERROR', `cannot read model ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const file = new PositionalReader(fd, fstatSync(fd).size, path);
    const graph = file.fields(0, file.size).find((field) => field.number === MODEL_GRAPH && field.wireType === 2);
    if (!graph) throw new TuttiError('MODEL_ERROR', `${path} is not an ONNX model: it has no graph`);
    const header: GraphHeader = { inputs: [], outputs: [], initializerNames: new Set() };
    for (const field of file.fields(graph.start, graph.start + graph.length)) {
      if (field.wireType !== 2) continue;
      if (field.number === GRAPH_INPUT) header.inputs.push(file.decodeValueInfo(field));
      else if (field.number === GRAPH_OUTPUT) header.outputs.push(file.decodeValueInfo(field));
      else if (field.number === GRAPH_INITIALIZER) {
        const name = file.tensorName(field);
        if (name !== undefined) header.initializerNames.add(name);
      }
    }
    return header;
  } finally {
    closeSync(fd);
  }
}

class PositionalReader {
  readonly size: number;
  #fd: number;
  #path: string;

  constructor(fd: number, size: number, path: string) {
    this.#fd = fd;
    this.size = size;
    this.#path = path;
  }

  /** The fields of the message at [start, end), values not read. */
  fields(start: number, end: number): Field[] {
    const fields: Field[] = [];
    let position = start;
    while (position < end) {
      const head = this.#read(position, Math.min(HEADER_BYTES, end - position));
      const tag = readVarint(head, 0) ?? this.#fail(position, 'a field tag runs past the end');
      const number = Math.floor(tag.value / 8);
      const wireType = tag.value % 8;
      if (number === 0) this.#fail(position, 'field number 0');
      let valueStart = position + tag.bytes;
      let length: number;
      if (wireType === 0) {
        const varint = readVarint(head, tag.bytes) ?? this.#fail(position, 'a varint runs past the end');
        length = varint.bytes;
      } else if (wireType === 1) length = 8;
      else if (wireType === 5) length = 4;
      else if (wireType === 2) {
        const size = readVarint(head, tag.bytes) ?? this.#fail(position, 'a length runs past the end');
        valueStart += size.bytes;
        length = size.value;
      } else this.#fail(position, `wire type ${wireType}`);
      if (valueStart + length > end) this.#fail(position, `field ${number} runs past the end of its message`);
      fields.push({ number, wireType, start: valueStart, length });
      position = valueStart + length;
    }
    return fields;
  }

  decodeValueInfo(field: Field): IValueInfoProto {
    try {
      return onnx.ValueInfoProto.decode(this.#read(field.start, field.length));
    } catch (error) {
      return this.#fail(field.start, (error as Error).message);
    }
  }

  /**
   * An initializer's name, read without its data (wherever the name is among its fields; the last
   * one when it appears twice, as protobuf decoders take it).
   */
  tensorName(field: Field): string | undefined {
    const name = this.fields(field.start, field.start + field.length)
      .filter((f) => f.number === TENSOR_NAME && f.wireType === 2)
      .at(-1);
    return name && this.#read(name.start, name.length).toString('utf8');
  }

  #read(position: number, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    const read = readSync(this.#fd, buffer, 0, length, position);
    if (read !== length) this.#fail(position, 'the file ends early');
    return buffer;
  }

  #fail(position: number, why: string): never {
    throw new TuttiError('MODEL_ERROR', `${this.#path} is not an ONNX model: at byte ${position}, ${why}`);
  }
}

/** A protobuf varint at `offset`, as a number (exact up to 2^53), and its length; undefined if cut off. */
function readVarint(bytes: Uint8Array, offset: number): { value: number; bytes: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < bytes.length && i < offset + 10; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return { value, bytes: i - offset + 1 };
  }
  return undefined;
}
