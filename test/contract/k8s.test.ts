/**
 * infra/k8s: a Deployment that Kubernetes can keep healthy (probes, resources, non-root) and a
 * Service in front of it, templated only with placeholders the deploy pipeline renders.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  at,
  isRecord,
  list,
  readText,
  readYaml,
  readYamlDocuments,
  record,
  repoPath,
  stepByDisplayName,
  text,
  type Json,
} from './support.js';

const files = readdirSync(repoPath('infra/k8s')).filter((file) => /\.ya?ml$/.test(file));
const documents = files
  .flatMap((file) => readYamlDocuments(`infra/k8s/${file}`))
  .map((doc) => record(doc, 'doc'));
const build = readYaml('infra/pipelines/build.yml');
const deploy = readYaml('infra/pipelines/deploy.yml');

function only(kind: string): Json {
  const found = documents.filter((document) => document.kind === kind);
  expect(found, kind).toHaveLength(1);
  return record(found[0], kind);
}

const deployment = only('Deployment');
const service = only('Service');
const pod = record(at(deployment, ['spec', 'template']), 'pod template');
const containers = list(at(pod, ['spec', 'containers']), 'containers').map((entry) =>
  record(entry, 'container'),
);
const podLabels = record(at(pod, ['metadata', 'labels']), 'pod labels');

describe('infra/k8s', () => {
  it('parses: a Deployment, a Service and a PodDisruptionBudget, no bare Pod', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(documents.map((document) => document.kind).sort()).toEqual([
      'Deployment',
      'PodDisruptionBudget',
      'Service',
    ]);
    expect(deployment.apiVersion).toBe('apps/v1');
  });

  it('runs the image the deploy pipeline renders, with readiness and liveness probes and resources', () => {
    expect(containers).toHaveLength(1);
    const [container] = containers;
    expect(container?.image).toBe('__IMAGE__');
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      expect(at(container, [probe, 'httpGet', 'path']), probe).toBe(at(build, ['variables', 'healthPath']));
      expect(at(container, [probe, 'httpGet', 'port']), probe).toBe('http');
    }
    for (const kind of ['requests', 'limits']) {
      expect(at(container, ['resources', kind, 'cpu']), kind).toEqual(expect.any(String));
      expect(at(container, ['resources', kind, 'memory']), kind).toEqual(expect.any(String));
    }
    const port = list(container?.ports, 'ports').find((entry) => isRecord(entry) && entry.name === 'http');
    expect(String(at(port, ['containerPort']))).toBe(at(build, ['variables', 'containerPort']));
  });

  it('runs as non-root with a read-only root file system, as the build smoke test does', () => {
    expect(at(pod, ['spec', 'securityContext', 'runAsNonRoot'])).toBe(true);
    const user = String(at(pod, ['spec', 'securityContext', 'runAsUser']));
    expect(Number(user)).toBeGreaterThan(0);
    const [container] = containers;
    expect(at(container, ['securityContext'])).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const smoke = text(stepByDisplayName(build, 'Smoke test (health + scoring)').bash, 'smoke test');
    expect(smoke).toContain(`--user ${user}:${user} --read-only`);
  });

  it('labels pods with the model version and commit, and selects them by stable labels only', () => {
    expect(podLabels['ai-app-cicd/model-version']).toBe('__MODEL_VERSION_LABEL__');
    expect(podLabels['ai-app-cicd/commit']).toBe('__COMMIT_LABEL__');
    expect(at(pod, ['metadata', 'annotations', 'ai-app-cicd/model-version'])).toBe('__MODEL_VERSION__');
    expect(at(pod, ['metadata', 'annotations', 'ai-app-cicd/commit'])).toBe('__COMMIT__');
    const selector = record(at(deployment, ['spec', 'selector', 'matchLabels']), 'selector');
    expect(JSON.stringify(selector)).not.toContain('__');
    for (const [key, value] of Object.entries(selector)) expect(podLabels[key], key).toBe(value);
  });

  it('has a Service that selects those pods and targets the named container port', () => {
    const selector = record(at(service, ['spec', 'selector']), 'service selector');
    expect(Object.keys(selector).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(selector)) expect(podLabels[key], key).toBe(value);
    const targetPorts = list(at(service, ['spec', 'ports']), 'ports').map((entry) =>
      at(entry, ['targetPort']),
    );
    expect(targetPorts).toEqual(['http']);
  });

  it('fills label values only from label-safe placeholders (a raw name or version can break kubectl apply)', () => {
    const labelSets = documents.flatMap((document) => [
      at(document, ['metadata', 'labels']),
      at(document, ['spec', 'template', 'metadata', 'labels']),
      at(document, ['spec', 'selector', 'matchLabels']),
    ]);
    const placeholders: string[] = [];
    for (const labels of labelSets) {
      if (!isRecord(labels)) continue;
      for (const value of Object.values(labels)) {
        for (const match of String(value).matchAll(/__[A-Z0-9_]+__/g)) placeholders.push(match[0]);
      }
    }
    expect(placeholders.length).toBeGreaterThan(5);
    for (const placeholder of placeholders) expect(placeholder).toMatch(/^__(\w+_LABEL|BUILD_ID)__$/);
    expect(placeholders).toContain('__MODEL_NAME_LABEL__');
  });

  it('uses only placeholders that the deploy pipeline renders', () => {
    const render = text(stepByDisplayName(deploy, 'Render the manifests').bash, 'render step');
    const rendered = new Set([...render.matchAll(/s\|(__[A-Z0-9_]+__)\|/g)].map((match) => match[1]));
    const used = new Set(
      files.flatMap((file) =>
        [...readText(`infra/k8s/${file}`).matchAll(/__[A-Z0-9_]+__/g)].map((match) => match[0]),
      ),
    );
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((placeholder) => !rendered.has(placeholder))).toEqual([]);
  });
});
