/** @tutti/deploy: what a cluster needs to serve an ensemble (Kubernetes objects and the image), rendered and checked. */
export {
  renderKubernetes,
  yamlDocuments,
  QUEUE_METRIC,
  type KubeObject,
  type KubernetesOptions,
  type KeyPairText,
  type Ports,
} from './kubernetes.js';
export { validateObjects } from './validate.js';
export { kubernetesInvariantViolations } from './invariants.js';
export { agentResources, quantities, type PodResources } from './resources.js';
export { renderDockerfile } from './dockerfile.js';
