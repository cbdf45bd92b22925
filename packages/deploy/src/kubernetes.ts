/**
 * The Kubernetes objects that serve an ensemble (issue 15): a head (one pod: batcher, combiner,
 * supervisor; `tutti serve --agents --no-local-workers`) and agents (`tutti agent --join`) that run
 * the prediction workers, scaled on queue time. Pure: returns plain objects; `validateObjects`
 * checks each against the Kubernetes schemas (kubernetes-models, offline) and invariants.ts checks
 * how they fit together.
 *
 *   Secret      <name>-head-keys, <name>-agent-keys   CurveZMQ key pairs of the agent link
 *   Deployment  <name>-head                           probes on /live and /ready (the metrics port)
 *   Service     <name>                                clients: requests, direct replies, metrics
 *   Service     <name>-agents (headless)              agents reach the head's pod itself: its
 *                                                     workers' sockets are on ports chosen at start
 *   Deployment  <name>-agent                          requests and limits from the plan
 *   PodMonitor  <name>-head                           Prometheus scrapes every process's metrics
 *   HPA         <name>-agent (autoscaling/v2)         on tutti_queue_p90_seconds, an External
 *                                                     metric from prometheus-adapter (the rule is
 *   ConfigMap   <name>-prometheus-adapter-rule        rendered for the adapter's configuration)
 *
 * Why an HPA on an External metric and not KEDA: the HPA is core Kubernetes and prometheus-adapter is
 * what most clusters with Prometheus already run; KEDA would be one more operator to install.
 */
import { stringify } from 'yaml';
import type { Plan } from '@tutti/allocator';
import { invalidOption } from '@tutti/core';
import { agentResources, quantities } from './resources.js';

/** A Kubernetes object as rendered: plain data, serialisable to YAML. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<string, unknown>;

export interface KeyPairText {
  publicKey: string;
  secretKey: string;
}

export interface KubernetesOptions {
  /** Prefix of every object's name (the ensemble's name, made DNS-safe). */
  name: string;
  /** The container image with tutti installed (see dockerfile.ts). */
  image: string;
  /** A PersistentVolumeClaim holding the ensemble's folder (manifest and models), mounted read-only at /ensemble. */
  ensembleClaim: string;
  /** The plan the head serves (its agents' layout and resources); in the claim at /ensemble/plan.json when given. */
  plan?: Plan;
  members: number;
  namespace?: string;
  agents: { replicas: number; min: number; max: number; nodeSelector?: Record<string, string> };
  /** The agents' autoscaling target: the 90th percentile of the time requests wait in the batcher's queue. */
  queueTargetSeconds: number;
  keys: { head: KeyPairText; agent: KeyPairText };
  ports?: Partial<Ports>;
}

export interface Ports {
  client: number;
  replies: number;
  agents: number;
  metrics: number;
  /** An agent's /live and /ready. */
  agentHealth: number;
}

const DEFAULT_PORTS: Ports = { client: 5555, replies: 5556, agents: 5700, metrics: 9464, agentHealth: 9465 };

/** Objects as one YAML stream, for kubectl apply -f. */
export function yamlDocuments(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

/** Every object, secrets first. */
export function renderKubernetes(options: KubernetesOptions): KubeObject[] {
  const { name, agents } = options;
  if (!/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/.test(name))
    invalidOption('name', name, 'a DNS label: lower case letters, digits and -, at most 42');
  if (!(agents.min >= 1 && agents.min <= agents.replicas && agents.replicas <= agents.max)) {
    invalidOption('agents', JSON.stringify(agents), 'min >= 1 and min <= replicas <= max');
  }
  if (!(options.queueTargetSeconds > 0)) invalidOption('queueTargetSeconds', options.queueTargetSeconds, 'a positive number of seconds');
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  if (ports.replies !== ports.client + 1)
    invalidOption('ports.replies', ports.replies, `the client port + 1 (${ports.client + 1}): the combiner binds there`);
  const meta = (suffix: string, component: string) => ({
    name: suffix ? `${name}-${suffix}` : name,
    ...(options.namespace && { namespace: options.namespace }),
    labels: labels(name, component),
  });
  return [
    ...keySecrets(options, meta),
    headDeployment(options, ports, meta),
    clientService(options, ports, meta),
    agentService(options, ports, meta),
    agentDeployment(options, ports, meta),
    podMonitor(options, meta),
    agentAutoscaler(options, meta),
    adapterRule(options, meta),
  ];
}

type Meta = (suffix: string, component: string) => KubeObject['metadata'];

function labels(name: string, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'tutti', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/component': component };
}

function keySecrets(options: KubernetesOptions, meta: Meta): KubeObject[] {
  const pair = (keys: KeyPairText) => `${JSON.stringify(keys)}\n`;
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('head-keys', 'head'),
      type: 'Opaque',
      stringData: { 'head.key': pair(options.keys.head), 'agent.pub': `${options.keys.agent.publicKey}\n` },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('agent-keys', 'agent'),
      type: 'Opaque',
      stringData: { 'agent.key': pair(options.keys.agent), 'head.pub': `${options.keys.head.publicKey}\n` },
    },
  ];
}

/**
 * Startup, liveness and readiness probes on a container's port named `port`: /live, then /ready.
 * A long startup allowance: a head may profile and plan, an agent fetch large models, first.
 */
function probes(port: string): Record<'startupProbe' | 'livenessProbe' | 'readinessProbe', unknown> {
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port },
    periodSeconds,
    failureThreshold,
  });
  return { startupProbe: probe('/live', 5, 60), livenessProbe: probe('/live', 10, 3), readinessProbe: probe('/ready', 5, 1) };
}

function headDeployment(options: KubernetesOptions, ports: Ports, meta: Meta): KubeObject {
  const { name } = options;
  const args = [
    'serve',
    '/ensemble',
    ...(options.plan ? ['--plan', '/ensemble/plan.json'] : ['--one-per-member']),
    '--endpoint',
    `tcp://0.0.0.0:${ports.client}`,
    '--agents',
    `tcp://0.0.0.0:${ports.agents}`,
    '--agent-key',
    '/keys/head.key',
    '--allow-agent',
    '/keys/agent.pub',
    '--no-local-workers',
    '--metrics-port',
    String(ports.metrics),
    '--metrics-host',
    '0.0.0.0',
    '--log-format',
    'json',
  ];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('head', 'head'),
    spec: {
      // One head: a second would be a second server (docs/SCALING.md). Recreate: never two at once.
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: labels(name, 'head') },
      template: {
        metadata: { labels: labels(name, 'head') },
        spec: {
          containers: [
            {
              name: 'tutti',
              image: options.image,
              args,
              ports: [
                { name: 'client', containerPort: ports.client },
                { name: 'replies', containerPort: ports.replies },
                { name: 'agents', containerPort: ports.agents },
                { name: 'metrics', containerPort: ports.metrics },
              ],
              // Ready only when every member has an instance: with no local workers, once agents have joined.
              ...probes('metrics'),
              resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { memory: '1Gi' } },
              volumeMounts: [
                { name: 'keys', mountPath: '/keys', readOnly: true },
                { name: 'ensemble', mountPath: '/ensemble', readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'keys', secret: { secretName: `${name}-head-keys`, defaultMode: 0o400 } },
            { name: 'ensemble', persistentVolumeClaim: { claimName: options.ensembleClaim, readOnly: true } },
          ],
        },
      },
    },
  };
}

function clientService(options: KubernetesOptions, ports: Ports, meta: Meta): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('', 'head'),
    spec: {
      selector: labels(options.name, 'head'),
      ports: [
        { name: 'client', port: ports.client, targetPort: 'client' },
        { name: 'replies', port: ports.replies, targetPort: 'replies' },
        { name: 'metrics', port: ports.metrics, targetPort: 'metrics' },
      ],
    },
  };
}

function agentService(options: KubernetesOptions, ports: Ports, meta: Meta): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('agents', 'head'),
    spec: {
      // Headless: the name resolves to the head pod's address, where its workers' ports are (chosen at start).
      clusterIP: 'None',
      // The head is not ready until agents join: they must find it before.
      publishNotReadyAddresses: true,
      selector: labels(options.name, 'head'),
      ports: [{ name: 'agents', port: ports.agents, targetPort: 'agents' }],
    },
  };
}

function agentDeployment(options: KubernetesOptions, ports: Ports, meta: Meta): KubeObject {
  const { name, agents } = options;
  const resources = agentResources(options.plan, options.members);
  const requests = quantities(resources);
  // Memory: a limit above the request (a GC's peak); cpu: no limit, so no throttling mid-batch.
  const limits = {
    memory: quantities({ ...resources, memoryBytes: resources.memoryBytes * 1.5 }).memory,
    ...(resources.gpus > 0 && { 'nvidia.com/gpu': String(resources.gpus) }),
  };
  const host = `${name}-agents${options.namespace ? `.${options.namespace}.svc` : ''}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('agent', 'agent'),
    spec: {
      replicas: agents.replicas,
      selector: { matchLabels: labels(name, 'agent') },
      template: {
        metadata: { labels: labels(name, 'agent') },
        spec: {
          ...(agents.nodeSelector && { nodeSelector: agents.nodeSelector }),
          containers: [
            {
              name: 'tutti-agent',
              image: options.image,
              args: [
                'agent',
                '--join',
                `tcp://${host}:${ports.agents}`,
                '--key',
                '/keys/agent.key',
                '--head-key',
                '/keys/head.pub',
                '--cache',
                '/cache',
                '--name',
                '$(POD_NAME)',
                '--health-port',
                String(ports.agentHealth),
                '--health-host',
                '0.0.0.0',
                '--log-format',
                'json',
              ],
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [{ name: 'health', containerPort: ports.agentHealth }],
              // Ready once its workers run.
              ...probes('health'),
              resources: {
                requests: { ...requests, ...(resources.gpus > 0 && { 'nvidia.com/gpu': String(resources.gpus) }) },
                limits,
              },
              volumeMounts: [
                { name: 'keys', mountPath: '/keys', readOnly: true },
                { name: 'cache', mountPath: '/cache' },
              ],
            },
          ],
          volumes: [
            { name: 'keys', secret: { secretName: `${name}-agent-keys`, defaultMode: 0o400 } },
            // Model files fetched from the head by sha256: per pod, gone with it.
            { name: 'cache', emptyDir: {} },
          ],
        },
      },
    },
  };
}

function podMonitor(options: KubernetesOptions, meta: Meta): KubeObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: meta('head', 'head'),
    spec: {
      selector: { matchLabels: labels(options.name, 'head') },
      // Series carry the server's name as app_kubernetes_io_instance: the adapter's rule selects on it.
      podTargetLabels: ['app.kubernetes.io/instance'],
      podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: '15s' }],
    },
  };
}

/** The External metric the HPA reads, as prometheus-adapter serves it. */
export const QUEUE_METRIC = 'tutti_queue_p90_seconds';

function agentAutoscaler(options: KubernetesOptions, meta: Meta): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta('agent', 'agent'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${options.name}-agent` },
      minReplicas: options.agents.min,
      maxReplicas: options.agents.max,
      metrics: [
        {
          type: 'External',
          external: {
            // The adapter's query already keeps this server's series only (see adapterRule).
            metric: { name: QUEUE_METRIC },
            target: { type: 'Value', value: `${Math.round(options.queueTargetSeconds * 1000)}m` },
          },
        },
      ],
      // Agents take seconds to join and fetch models: scale down slowly.
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    },
  };
}

function adapterRule(options: KubernetesOptions, meta: Meta): KubeObject {
  const rule = {
    externalRules: [
      {
        seriesQuery: 'tutti_queue_seconds_bucket',
        resources: { namespaced: false },
        name: { as: QUEUE_METRIC },
        metricsQuery: `histogram_quantile(0.9, sum(rate(tutti_queue_seconds_bucket{app_kubernetes_io_instance="${options.name}"}[1m])) by (le))`,
      },
    ],
  };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('prometheus-adapter-rule', 'head'),
    data: { 'rules.yaml': stringify(rule) },
  };
}
