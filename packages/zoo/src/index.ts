export { mlpFromWeights, ACTIVATIONS, type Activation, type DenseLayer, type MlpFromWeightsSpec } from './mlp-from-weights.js';
