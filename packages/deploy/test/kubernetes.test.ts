import { describe, expect, it } from 'vitest';
import type { Plan } from '@tutti/allocator';
import { kubernetesInvariantViolations, renderKubernetes, validateObjects, type KubeObject, type KubernetesOptions } from '../src/index.js';

const MIB = 2 ** 20;
const KEYS = {
  head: { publicKey: 'H'.repeat(40), secretKey: 'h'.repeat(40) },
  agent: { publicKey: 'A'.repeat(40), secretKey: 'a'.repeat(40) },
};

/** A plan over a CPU and a GPU: member a on the CPU (2 threads), b on the GPU and on the CPU (3 threads). */
const PLAN = {
  version: 1,
  ensemble: 'demo',
  strategy: 'greedy',
  devices: [
    { id: 'cpu', kind: 'cpu', name: 'EPYC', memoryBytes: 64 * 2 ** 30, cores: 8, origin: 'declared' },
    { id: 'gpu0', kind: 'gpu', name: 'V100', memoryBytes: 32 * 2 ** 30, origin: 'declared' },
  ],
  members: ['a', 'b'],
  instances: [
    { member: 'a', device: 'cpu', batch: 8, threads: 2 },
    { member: 'b', device: 'gpu0', batch: 32, threads: 1 },
    { member: 'b', device: 'cpu', batch: 8, threads: 3 },
  ],
  predicted: {
    throughput: 100,
    bottleneck: 'a',
    members: [],
    devices: [
      { device: 'cpu', memoryBytes: 100 * MIB, memoryCapacity: 64 * 2 ** 30 },
      { device: 'gpu0', memoryBytes: 200 * MIB, memoryCapacity: 32 * 2 ** 30 },
    ],
  },
  steps: [],
} as unknown as Plan;

function options(overrides: Partial<KubernetesOptions> = {}): KubernetesOptions {
  return {
    name: 'digits',
    image: 'registry.example/tutti:1',
    ensembleClaim: 'digits-ensemble',
    members: 5,
    agents: { replicas: 2, min: 1, max: 8 },
    queueTargetSeconds: 0.05,
    keys: KEYS,
    ...overrides,
  };
}

const find = (objects: KubeObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const containerOf = (deployment: KubeObject): any => (deployment as any).spec.template.spec.containers[0];

describe('renderKubernetes', () => {
  it('renders objects valid against the Kubernetes schemas that fit together, with and without a plan', () => {
    for (const rendered of [renderKubernetes(options()), renderKubernetes(options({ plan: PLAN, namespace: 'serving' }))]) {
      expect(() => validateObjects(rendered)).not.toThrow();
      expect(kubernetesInvariantViolations(rendered)).toEqual([]);
      expect(rendered.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
        'Secret digits-head-keys',
        'Secret digits-agent-keys',
        'Deployment digits-head',
        'Service digits',
        'Service digits-agents',
        'Deployment digits-agent',
        'PodMonitor digits-head',
        'HorizontalPodAutoscaler digits-agent',
        'ConfigMap digits-prometheus-adapter-rule',
      ]);
    }
  });

  it("gives agents the plan's cores, memory and GPUs, and the head's address in its namespace", () => {
    const rendered = renderKubernetes(options({ plan: PLAN, namespace: 'serving' }));
    const agent = containerOf(find(rendered, 'Deployment', 'digits-agent'));
    // 2 + 3 CPU threads; 96 MiB agent + 3 processes x 128 MiB + 300 MiB of models; one GPU device.
    expect(agent.resources.requests).toEqual({ cpu: '5000m', memory: '780Mi', 'nvidia.com/gpu': '1' });
    expect(agent.resources.limits).toEqual({ memory: '1170Mi', 'nvidia.com/gpu': '1' });
    expect(agent.args.slice(0, 3)).toEqual(['agent', '--join', 'tcp://digits-agents.serving.svc:5700']);
    const head = containerOf(find(rendered, 'Deployment', 'digits-head'));
    expect(head.args).toEqual(expect.arrayContaining(['--plan', '/ensemble/plan.json', '--no-local-workers', '--metrics-host', '0.0.0.0']));
  });

  it('counts a grouped layout by its processes and their threads', () => {
    const grouped = {
      ...PLAN,
      instances: [
        { member: 'a', device: 'cpu', batch: 8, threads: 1 },
        { member: 'b', device: 'cpu', batch: 8, threads: 1 },
      ],
      layout: {
        kind: 'grouped',
        groups: [{ device: 'cpu', members: ['a', 'b'], processes: 2, threads: 2 }],
        messageCostMs: 0.05,
        predicted: {},
        decidedBy: 'chosen',
      },
    } as unknown as Plan;
    const agent = containerOf(find(renderKubernetes(options({ plan: grouped })), 'Deployment', 'digits-agent'));
    expect(agent.resources.requests).toEqual({ cpu: '4000m', memory: `${96 + 2 * 128 + 300}Mi` });
  });

  it('finds objects that would fail in a cluster: a schema error, and each broken invariant', () => {
    const broken = (change: (objects: KubeObject[]) => void) => {
      const rendered = structuredClone(renderKubernetes(options()));
      change(rendered);
      return rendered;
    };
    expect(() =>
      validateObjects(broken((o) => (containerOf(find(o, 'Deployment', 'digits-head')).ports[0].containerPort = 'five'))),
    ).toThrow(/Deployment digits-head does not match the Kubernetes schema: .*containerPort must be integer/);
    const cases: [(objects: KubeObject[]) => void, RegExp][] = [
      [
        (o) => ((find(o, 'Deployment', 'digits-agent') as any).spec.selector.matchLabels['app.kubernetes.io/component'] = 'x'),
        /selector does not match its pods' labels/,
      ],
      [(o) => o.splice(o.indexOf(find(o, 'Secret', 'digits-agent-keys')), 1), /mounts Secret digits-agent-keys, which is not rendered/],
      [
        (o) => (containerOf(find(o, 'Deployment', 'digits-head')).readinessProbe.httpGet.path = '/healthz'),
        /readiness probe asks \/healthz/,
      ],
      [(o) => ((find(o, 'Service', 'digits') as any).spec.ports[1].targetPort = 'nope'), /Service digits: port replies targets nope/],
      [
        (o) => ((find(o, 'Service', 'digits-agents') as any).spec.selector = { app: 'other' }),
        /Service digits-agents: its selector matches no rendered pods/,
      ],
      [(o) => ((find(o, 'HorizontalPodAutoscaler', 'digits-agent') as any).spec.scaleTargetRef.name = 'gone'), /it scales Deployment gone/],
      [
        (o) => ((find(o, 'PodMonitor', 'digits-head') as any).spec.podMetricsEndpoints[0].port = 'web'),
        /port web is not a port of its pods/,
      ],
      [
        (o) => {
          const args: string[] = containerOf(find(o, 'Deployment', 'digits-head')).args;
          args[args.indexOf('--metrics-host') + 1] = '127.0.0.1';
        },
        /not where tutti answers it on every interface/,
      ],
      [
        (o) => (containerOf(find(o, 'Deployment', 'digits-agent')).volumeMounts[1].name = 'models'),
        /mounts models, not a volume of the pod/,
      ],
    ];
    for (const [change, problem] of cases) expect(kubernetesInvariantViolations(broken(change)).join('\n')).toMatch(problem);
  });

  it('refuses options it cannot render', () => {
    expect(() => renderKubernetes(options({ name: 'Digits_1' }))).toThrow(/name/);
    expect(() => renderKubernetes(options({ agents: { replicas: 9, min: 1, max: 8 } }))).toThrow(/agents/);
    expect(() => renderKubernetes(options({ queueTargetSeconds: 0 }))).toThrow(/queueTargetSeconds/);
    expect(() => renderKubernetes(options({ ports: { client: 6000, replies: 6005 } }))).toThrow(/client port \+ 1/);
  });
});
