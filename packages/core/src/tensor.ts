import type { Datatype } from './datatypes.js';

/** A named tensor's description: what a model or an ensemble takes or gives. -1 marks a dynamic dimension. */
export interface TensorSpec {
  name: string;
  datatype: Datatype;
  shape: number[];
}

/** A tensor with its bytes: little-endian, row-major, as it travels on the wire. */
export interface WireTensor extends TensorSpec {
  data: Uint8Array;
}
