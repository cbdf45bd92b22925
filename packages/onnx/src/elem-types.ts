/** ONNX TensorProto.DataType codes and their KServe v2 datatype names. */
import type { Datatype } from '@tutti/core';

import { onnx } from './proto.js';

const ElemType = onnx.TensorProto.DataType;

const TO_DATATYPE = new Map<number, Datatype>([
  [ElemType.FLOAT, 'FP32'],
  [ElemType.DOUBLE, 'FP64'],
  [ElemType.FLOAT16, 'FP16'],
  [ElemType.INT8, 'INT8'],
  [ElemType.INT16, 'INT16'],
  [ElemType.INT32, 'INT32'],
  [ElemType.INT64, 'INT64'],
  [ElemType.UINT8, 'UINT8'],
  [ElemType.UINT16, 'UINT16'],
  [ElemType.UINT32, 'UINT32'],
  [ElemType.UINT64, 'UINT64'],
  [ElemType.BOOL, 'BOOL'],
]);

const TO_ELEM_TYPE = new Map<Datatype, number>([...TO_DATATYPE].map(([code, name]) => [name, code]));

/** The v2 datatype of an ONNX element type, or undefined for those v2 has no name for (STRING, BFLOAT16, complex). */
export function datatypeOfElemType(elemType: number): Datatype | undefined {
  return TO_DATATYPE.get(elemType);
}

export function elemTypeOfDatatype(datatype: Datatype): number {
  const code = TO_ELEM_TYPE.get(datatype);
  if (code === undefined) throw new Error(`no ONNX element type for ${datatype}`);
  return code;
}

/** The ONNX name of an element type code, for error messages ('FLOAT', 'STRING', ...). */
export function elemTypeName(elemType: number): string {
  return ElemType[elemType] ?? `elem_type ${elemType}`;
}
