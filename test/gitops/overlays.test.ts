import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../serving/server.ts';
import { type ImagePin, readOverlay, writeOverlay } from '../../src/promote/overlay.ts';
import { type KubernetesObject, renderOverlay, renderOverlayObjects } from '../../src/promote/render.ts';
import { schemaProblems } from './kubernetes-schemas.ts';

const repoGitops = join(import.meta.dirname, '..', '..', 'gitops');
const digest = `sha256:${'ab'.repeat(32)}`;
const image: ImagePin = { name: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlship-serve', digest };

function manifestFor(environment: string) {
  return {
    schema: 1 as const,
    model: 'flights',
    version: 3,
    environment,
    artifact: { uri: `s3://bucket/mlship/models/flights/${'c'.repeat(64)}.onnx`, sha256: 'c'.repeat(64) },
    profile: {
      uri: `s3://bucket/mlship/models/flights/${'c'.repeat(64)}.profile.json`,
      sha256: 'd'.repeat(64),
    },
  };
}

function find(objects: KubernetesObject[], kind: string, name?: string): KubernetesObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ''} rendered`);
  return found;
}

// The committed overlays have no model.yaml until the first promotion (see their kustomization
// comments), so each test renders a copy that a promotion has written to.
let gitops: string;
beforeAll(async () => {
  gitops = await mkdtemp(join(tmpdir(), 'mlship-gitops-'));
  await cp(repoGitops, gitops, { recursive: true });
  for (const env of ['staging', 'production']) {
    await writeOverlay(gitops, env, { manifest: manifestFor(env), image });
  }
});
afterAll(async () => {
  await rm(gitops, { recursive: true, force: true });
});

describe.each(['staging', 'production'])('overlays/%s', (env) => {
  let objects: KubernetesObject[];
  beforeAll(async () => {
    objects = await renderOverlayObjects(join(gitops, 'overlays', env));
  });

  it('renders objects that all validate against their schemas', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(
      [
        'AnalysisTemplate',
        'AnalysisTemplate',
        'ConfigMap',
        'HorizontalPodAutoscaler',
        'Namespace',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'Rollout',
        'Service',
        'Service',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ].sort(),
    );
    expect(schemaProblems(objects)).toEqual([]);
    for (const object of objects.filter((o) => o.kind !== 'Namespace')) {
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe(`mlship-${env}`);
    }
  });

  it('mounts model.yaml from the hash-suffixed ConfigMap and pins the image by digest', () => {
    const configMap = find(objects, 'ConfigMap');
    expect(configMap.metadata.name).toMatch(/^mlship-model-[a-z0-9]{10}$/);
    expect((configMap.data as Record<string, string>)['model.yaml']).toContain(`environment: ${env}`);
    // biome-ignore lint/suspicious/noExplicitAny: walking a rendered object
    const pod = (find(objects, 'Rollout') as any).spec.template.spec;
    expect(pod.volumes.find((v: { name: string }) => v.name === 'model-manifest').configMap.name).toBe(
      configMap.metadata.name,
    );
    const container = pod.containers[0];
    expect(container.image).toBe(`${image.name}@${digest}`);
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'model-manifest');
    const manifestEnv = container.env.find((e: { name: string }) => e.name === 'MLSHIP_MANIFEST').value;
    expect(manifestEnv).toBe(`${mount.mountPath}/model.yaml`);
    expect(container.livenessProbe.httpGet.path).toBe('/v2/health/live');
    expect(container.readinessProbe.httpGet.path).toBe('/v2/health/ready');
    // biome-ignore lint/suspicious/noExplicitAny: walking a rendered object
    expect((find(objects, 'Rollout') as any).spec.template.metadata.labels['mlship.dev/environment']).toBe(
      env,
    );
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    const tmp = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();

    // The service, configured from exactly this environment, reads the mounted manifest and
    // listens on the port the probes and Services use.
    const containerEnv = Object.fromEntries(
      container.env
        .filter((e: { value?: string }) => e.value !== undefined)
        .map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    const config = configFromEnv({ ...containerEnv, MLSHIP_POD: 'mlship-serve-abc' });
    expect(config.manifestPath).toBe(`${mount.mountPath}/model.yaml`);
    expect(container.ports.find((p: { name: string }) => p.name === 'http').containerPort).toBe(config.port);
    expect(config.remote).toMatch(/^s3:\/\//);
  });

  it('points the canary at rendered Services and AnalysisTemplates', () => {
    // biome-ignore lint/suspicious/noExplicitAny: walking a rendered object
    const canary = (find(objects, 'Rollout') as any).spec.strategy.canary;
    find(objects, 'Service', canary.stableService);
    find(objects, 'Service', canary.canaryService);
    const analysis = canary.steps.find((s: { analysis?: unknown }) => s.analysis).analysis;
    for (const { templateName } of analysis.templates) find(objects, 'AnalysisTemplate', templateName);
    // biome-ignore lint/suspicious/noExplicitAny: walking a rendered object
    const hpa = find(objects, 'HorizontalPodAutoscaler') as any;
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      name: 'mlship-serve',
    });
    expect(hpa.spec.metrics.map((m: { type: string }) => m.type).sort()).toEqual(['Pods', 'Resource']);
    const account = find(objects, 'ServiceAccount');
    expect((account.metadata.annotations as Record<string, string>)['eks.amazonaws.com/role-arn']).toMatch(
      new RegExp(`^arn:aws:iam::\\d{12}:role/.*${env}$`),
    );
  });
});

describe('environments differ where they should', () => {
  it('sizes production above staging and rolls pods when model.yaml changes', async () => {
    const staging = await renderOverlayObjects(join(gitops, 'overlays', 'staging'));
    const production = await renderOverlayObjects(join(gitops, 'overlays', 'production'));
    // biome-ignore lint/suspicious/noExplicitAny: walking rendered objects
    const replicas = (objects: KubernetesObject[]) => (find(objects, 'Rollout') as any).spec.replicas;
    expect(replicas(production)).toBeGreaterThan(replicas(staging));

    const before = find(staging, 'ConfigMap').metadata.name;
    await writeOverlay(gitops, 'staging', { manifest: { ...manifestFor('staging'), version: 4 }, image });
    const after = find(await renderOverlayObjects(join(gitops, 'overlays', 'staging')), 'ConfigMap').metadata
      .name;
    expect(after).not.toBe(before);
    expect((await readOverlay(gitops, 'staging')).manifest?.version).toBe(4);
  });

  it('does not build an overlay nothing was promoted to', async () => {
    await expect(renderOverlay(join(repoGitops, 'overlays', 'production'))).rejects.toThrow(/model\.yaml/);
  });
});

describe('argocd and monitoring', () => {
  it('renders an AppProject, an ApplicationSet and the monitoring Application, all valid', async () => {
    const objects = await renderOverlayObjects(join(repoGitops, 'argocd'));
    expect(objects.map((o) => o.kind).sort()).toEqual(['AppProject', 'Application', 'ApplicationSet']);
    expect(schemaProblems(objects)).toEqual([]);
    // biome-ignore lint/suspicious/noExplicitAny: walking a rendered object
    const set = find(objects, 'ApplicationSet') as any;
    expect(set.spec.generators[0].git.files[0].path).toBe('gitops/overlays/*/model.yaml');
    expect(set.spec.templatePatch).toMatch(/prune: true\s+selfHeal: true/);
  });

  it('lets the AppProject sync every kind, into every namespace, that the overlays and monitoring render', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: walking a rendered object
    const project = find(await renderOverlayObjects(join(repoGitops, 'argocd')), 'AppProject') as any;
    const allowed = new Set(
      [...project.spec.namespaceResourceWhitelist, ...project.spec.clusterResourceWhitelist].map(
        (r: { group: string; kind: string }) => `${r.group}/${r.kind}`,
      ),
    );
    const destinations = project.spec.destinations.map((d: { namespace: string }) => d.namespace);
    const rendered = [
      ...(await renderOverlayObjects(join(gitops, 'overlays', 'staging'))),
      ...(await renderOverlayObjects(join(gitops, 'overlays', 'production'))),
      ...(await renderOverlayObjects(join(repoGitops, 'monitoring'))),
    ];
    for (const object of rendered) {
      const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
      expect(allowed, `${object.kind} ${object.metadata.name}`).toContain(`${group}/${object.kind}`);
      const namespace = object.kind === 'Namespace' ? object.metadata.name : object.metadata.namespace;
      const covered = destinations.some((pattern: string) =>
        new RegExp(`^${pattern.replaceAll('*', '.*')}$`).test(namespace ?? ''),
      );
      expect(covered, `${object.kind} ${object.metadata.name} in ${namespace}`).toBe(true);
    }
  });

  it('renders the PrometheusRule and the dashboard ConfigMap, all valid', async () => {
    const objects = await renderOverlayObjects(join(repoGitops, 'monitoring'));
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'PrometheusRule']);
    expect(schemaProblems(objects)).toEqual([]);
    const dashboard = find(objects, 'ConfigMap');
    expect((dashboard.metadata.labels as Record<string, string>).grafana_dashboard).toBe('1');
    const json = JSON.parse((dashboard.data as Record<string, string>)['mlship.json']);
    expect(json.panels.length).toBeGreaterThanOrEqual(8);
  });
});
