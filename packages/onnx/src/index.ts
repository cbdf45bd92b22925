export { GraphBuilder, IR_VERSION, OPSET_VERSION, type Attribute, type BuildOptions, type Dim } from './graph-builder.js';
export { decodeModel, encodeModel, writeModel } from './model-io.js';
export { readSignature, readSignatureSync, signatureOf, type ModelSignature, type TensorSpec } from './signature.js';
export { datatypeOfElemType, elemTypeOfDatatype } from './elem-types.js';
export { onnx, type IModelProto, type ModelProto } from './proto.js';
export { countModelCost, type ModelCost } from './cost.js';
