/**
 * Validates rendered objects against their published schemas with the kubernetes-models
 * packages: each object is constructed with the class for its apiVersion and kind and validated.
 * A kind with no class here fails, so nothing rendered escapes validation.
 */
import { Application, ApplicationSet, AppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { AnalysisTemplate, Rollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { KubernetesObject } from '../../src/promote/render.ts';

type Model = new (data: never) => { validate(): void };

const models: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'argoproj.io/v1alpha1/Rollout': Rollout,
  'argoproj.io/v1alpha1/AnalysisTemplate': AnalysisTemplate,
  'argoproj.io/v1alpha1/AppProject': AppProject,
  'argoproj.io/v1alpha1/Application': Application,
  'argoproj.io/v1alpha1/ApplicationSet': ApplicationSet,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/** Returns one problem per invalid or unknown object (empty when all validate). */
export function schemaProblems(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const key = `${object.apiVersion}/${object.kind}`;
    const where = `${key} ${object.metadata?.name}`;
    const model = models[key];
    if (!model) {
      problems.push(`${where}: no schema known for this kind`);
      continue;
    }
    try {
      new model(object as never).validate();
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
  }
  return problems;
}
