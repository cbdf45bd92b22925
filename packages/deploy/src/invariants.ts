/**
 * How rendered objects must fit together, beyond each one's schema: what a cluster would only show
 * by failing at run time. Returns every violation, in words; empty when they all hold. Pure.
 */
import type { KubeObject } from './kubernetes.js';

interface Container {
  name: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: { containers: Container[]; volumes?: { name: string; secret?: { secretName: string } }[] };
}

/** The paths the metrics endpoint serves (metrics-http.ts). */
const SERVED_PATHS = new Set(['/live', '/ready', '/metrics']);

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

export function kubernetesInvariantViolations(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const deployments = byKind('Deployment') as (KubeObject & {
    spec: { selector: { matchLabels: Record<string, string> }; template: PodTemplate };
  })[];
  const secrets = new Set(byKind('Secret').map((s) => s.metadata.name));
  const podsOf = (selector: Record<string, string>) => deployments.filter((d) => matches(selector, d.spec.template.metadata.labels));

  for (const deployment of deployments) {
    const { name } = deployment.metadata;
    const { template } = deployment.spec;
    if (!matches(deployment.spec.selector.matchLabels, template.metadata.labels))
      problems.push(`Deployment ${name}: its selector does not match its pods' labels`);
    const volumes = new Set((template.spec.volumes ?? []).map((v) => v.name));
    for (const volume of template.spec.volumes ?? []) {
      if (volume.secret && !secrets.has(volume.secret.secretName))
        problems.push(`Deployment ${name}: volume ${volume.name} mounts Secret ${volume.secret.secretName}, which is not rendered`);
    }
    for (const container of template.spec.containers) {
      const portNames = new Set((container.ports ?? []).map((p) => p.name));
      for (const mount of container.volumeMounts ?? []) {
        if (!volumes.has(mount.name))
          problems.push(`Deployment ${name}: container ${container.name} mounts ${mount.name}, not a volume of the pod`);
      }
      for (const [kind, probe] of [
        ['startup', container.startupProbe],
        ['liveness', container.livenessProbe],
        ['readiness', container.readinessProbe],
      ] as const) {
        if (!probe?.httpGet) continue;
        const { path, port } = probe.httpGet;
        if (!SERVED_PATHS.has(path)) problems.push(`Deployment ${name}: ${kind} probe asks ${path}, which tutti does not serve`);
        if (typeof port === 'string' && !portNames.has(port))
          problems.push(`Deployment ${name}: ${kind} probe's port ${port} is not a container port`);
        // The probe's port must be where the server listens for it, on every interface.
        // The head serves them on its metrics port, an agent on its health port.
        const probed = (container.ports ?? []).find((p) => p.name === port)?.containerPort;
        const args = container.args ?? [];
        const flag = (f: string) => (args.includes(f) ? args[args.indexOf(f) + 1] : undefined);
        const [portFlag, hostFlag] = args[0] === 'agent' ? ['--health-port', '--health-host'] : ['--metrics-port', '--metrics-host'];
        if (probed !== undefined && (flag(portFlag) !== String(probed) || flag(hostFlag) !== '0.0.0.0'))
          problems.push(`Deployment ${name}: ${kind} probe's port ${probed} is not where tutti answers it on every interface`);
      }
    }
  }

  for (const service of byKind('Service') as (KubeObject & {
    spec: { selector: Record<string, string>; ports: { name: string; targetPort: string | number }[] };
  })[]) {
    const pods = podsOf(service.spec.selector);
    if (pods.length === 0) {
      problems.push(`Service ${service.metadata.name}: its selector matches no rendered pods`);
      continue;
    }
    for (const port of service.spec.ports) {
      const served = pods.some((d) =>
        d.spec.template.spec.containers.some((c) =>
          (c.ports ?? []).some((p) => p.name === port.targetPort || p.containerPort === port.targetPort),
        ),
      );
      if (!served)
        problems.push(`Service ${service.metadata.name}: port ${port.name} targets ${port.targetPort}, which its pods do not expose`);
    }
  }

  for (const monitor of byKind('PodMonitor') as (KubeObject & {
    spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string }[] };
  })[]) {
    const pods = podsOf(monitor.spec.selector.matchLabels);
    if (pods.length === 0) problems.push(`PodMonitor ${monitor.metadata.name}: its selector matches no rendered pods`);
    for (const endpoint of monitor.spec.podMetricsEndpoints) {
      if (!pods.some((d) => d.spec.template.spec.containers.some((c) => (c.ports ?? []).some((p) => p.name === endpoint.port))))
        problems.push(`PodMonitor ${monitor.metadata.name}: port ${endpoint.port} is not a port of its pods`);
    }
  }

  for (const hpa of byKind('HorizontalPodAutoscaler') as (KubeObject & { spec: { scaleTargetRef: { kind: string; name: string } } })[]) {
    const { kind, name } = hpa.spec.scaleTargetRef;
    if (!objects.some((o) => o.kind === kind && o.metadata.name === name))
      problems.push(`HorizontalPodAutoscaler ${hpa.metadata.name}: it scales ${kind} ${name}, which is not rendered`);
  }
  return problems;
}
