export { mlpFromWeights, ACTIVATIONS, type Activation, type DenseLayer, type MlpFromWeightsSpec } from './mlp-from-weights.js';
export { mlp, mlpLayers, normalizeMlpSpec, MLP_ACTIVATIONS, type MlpSpec } from './mlp.js';
export { resnet, normalizeResnetSpec, type ResnetSpec } from './resnet.js';
export { buildZooModel, normalizeZooSpec, zooSpecHash, ZOO_GENERATOR_VERSION, ZOO_SPEC_METADATA_KEY, type ZooSpec } from './zoo-spec.js';
export { ensureZooModel, specSidecarPath, type EnsuredModel } from './ensure.js';
export { SeededRandom, mulberry32 } from './random.js';
// Re-exported so scripts that depend on @tutti/zoo alone (ensembles/*) can cost the models they build.
export { countModelCost, type ModelCost } from '@tutti/onnx';
