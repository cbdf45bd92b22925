/**
 * The ONNX protobuf classes. onnx-proto is a CommonJS protobufjs static module, so under ESM its
 * values are reached through the default export (module.exports); its types through a type import.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxNamespace } from 'onnx-proto';

export const { onnx } = onnxProto;

export type ModelProto = OnnxNamespace.ModelProto;
export type IModelProto = OnnxNamespace.IModelProto;
export type INodeProto = OnnxNamespace.INodeProto;
export type ITensorProto = OnnxNamespace.ITensorProto;
export type IValueInfoProto = OnnxNamespace.IValueInfoProto;
export type IAttributeProto = OnnxNamespace.IAttributeProto;

/** protobufjs decodes int64 fields as Long objects (or numbers when small enough); this makes them numbers. */
export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
