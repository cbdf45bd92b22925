/**
 * Rendered objects checked against the Kubernetes schemas, offline (kubernetes-models: the
 * OpenAPI schemas of Kubernetes 1.x and of the Prometheus operator's resources, as JSON Schema).
 * A schema error names the object and the field.
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { TuttiError } from '@tutti/core';
import type { KubeObject } from './kubernetes.js';

type Model = { validate(): void };
const MODELS: Record<string, (data: never) => Model> = {
  'apps/v1/Deployment': (data) => new Deployment(data),
  'autoscaling/v2/HorizontalPodAutoscaler': (data) => new HorizontalPodAutoscaler(data),
  'v1/ConfigMap': (data) => new ConfigMap(data),
  'v1/Secret': (data) => new Secret(data),
  'v1/Service': (data) => new Service(data),
  'monitoring.coreos.com/v1/PodMonitor': (data) => new PodMonitor(data),
};

/** Throws INVALID_OPTION naming the first object that does not match its schema (or has no known schema). */
export function validateObjects(objects: readonly KubeObject[]): void {
  for (const object of objects) {
    const model = MODELS[`${object.apiVersion}/${object.kind}`];
    const what = `${object.kind} ${object.metadata.name}`;
    if (!model) throw new TuttiError('INVALID_OPTION', `${what}: no schema known for ${object.apiVersion} ${object.kind}`);
    try {
      model(object as never).validate();
    } catch (error) {
      throw new TuttiError('INVALID_OPTION', `${what} does not match the Kubernetes schema: ${(error as Error).message}`, { cause: error });
    }
  }
}
