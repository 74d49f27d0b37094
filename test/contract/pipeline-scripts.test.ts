/**
 * Runs the real script steps of build.yml and deploy.yml with bash, the way an agent would: each
 * step's `env:` mapping is resolved from the run's parameters, the pipeline's variables, predefined
 * variables and the variables earlier steps set (##vso[task.setvariable]). `az` and `docker` are
 * stand-ins; everything else (validation, sha256 checks, build-info.json, rendering) is the real thing.
 *
 * Flow under test: the app's parameters -> build validation -> model download and verification ->
 * build-info.json -> deploy validation against that build -> rendered Kubernetes manifests.
 */
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILD_PARAMETER_NAMES, RELEASE_PARAMETER_NAMES } from '../../src/core/pipelineParameters.js';
import type { BuildParameters, ReleaseParameters } from '../../src/core/pipelineParameters.js';
import {
  at,
  isRecord,
  parseYamlDocuments,
  pipelineSteps,
  readYaml,
  record,
  repoPath,
  runScript,
  stepByDisplayName,
  tasks,
  text,
  type Json,
} from './support.js';

const build = readYaml('infra/pipelines/build.yml');
const deploy = readYaml('infra/pipelines/deploy.yml');

const workspace = mkdtempSync(join(tmpdir(), 'pipeline-scripts-'));
afterAll(() => {
  rmSync(workspace, { recursive: true, force: true });
});

const COMMIT = 'a'.repeat(40);
const BUILD_ID = '4242';
const ACCOUNT = 'stmodels';
const MODEL = 'fraud';
const VERSION = '1.4.0+exp.1'; // "+" is valid for the app and must survive into the image and the pod
/** A secret variable a hostile parameter value could try to pull in with a $(macro). */
const ACCESS_TOKEN = `eyJ0eXAiOiJKV1Qi.${'s3cr3t'.repeat(40)}`;

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Resolves a step's env mapping as Azure Pipelines would: ${{ parameters.x }} at compile time, then
 * $(macros) at run time, including macros inside a parameter's value (left as-is when unknown).
 * A macro written in the YAML itself must name a variable that exists: that catches typos.
 */
function resolveEnv(
  step: Json,
  parameters: Readonly<Record<string, string>>,
  variables: ReadonlyMap<string, string>,
) {
  const env: Record<string, string> = {};
  const macros = /\$\(([A-Za-z0-9._]+)\)/g;
  for (const [name, raw] of Object.entries(record(step.env, 'env'))) {
    const value = text(raw, `env.${name}`);
    const parameter = /^\$\{\{ parameters\.(\w+) \}\}$/.exec(value)?.[1];
    if (parameter !== undefined) {
      const supplied = parameters[parameter];
      if (supplied === undefined) throw new Error(`parameter ${parameter} not supplied`);
      env[name] = supplied.replace(macros, (macro, variable: string) => variables.get(variable) ?? macro);
    } else {
      env[name] = value.replace(macros, (_, variable: string) => {
        const resolved = variables.get(variable);
        if (resolved === undefined) throw new Error(`env.${name} uses $(${variable}), which no one sets`);
        return resolved;
      });
    }
  }
  return env;
}

function yamlVariables(pipeline: unknown): Map<string, string> {
  const variables = new Map<string, string>();
  for (const [name, value] of Object.entries(record(at(pipeline, ['variables']), 'variables'))) {
    variables.set(name, text(value, name));
  }
  return variables;
}

function bashOf(step: Json): string {
  if (typeof step.bash === 'string') return step.bash;
  return text(at(step, ['inputs', 'inlineScript']), 'inlineScript');
}

function runStep(
  step: Json,
  parameters: Readonly<Record<string, string>>,
  variables: Map<string, string>,
  extraPath?: string,
) {
  const env = resolveEnv(step, parameters, variables);
  if (extraPath !== undefined) env.PATH = `${extraPath}:${process.env.PATH ?? ''}`;
  const result = runScript(bashOf(step), env);
  if (result.status === 0) for (const [name, value] of result.variables) variables.set(name, value);
  return result;
}

function executable(path: string, body: string): void {
  writeFileSync(path, `#!/usr/bin/env bash\nset -euo pipefail\n${body}\n`);
  chmodSync(path, 0o755);
}

// --- Stand-ins: `az` reads blobs from a folder (and insists on Entra auth), `docker` knows one digest.
const fakeBin = join(workspace, 'bin');
const blobStore = join(workspace, 'blobs', ACCOUNT, 'models');
mkdirSync(fakeBin, { recursive: true });
executable(
  join(fakeBin, 'az'),
  `[[ " $* " == *" --auth-mode login "* ]] || { echo "az: not --auth-mode login" >&2; exit 2; }
name=""; file=""; account=""
while [[ $# -gt 0 ]]; do
  case "$1" in --name) name="$2"; shift ;; --file) file="$2"; shift ;; --account-name) account="$2"; shift ;; esac
  shift
done
cp "${join(workspace, 'blobs')}/$account/models/$name" "$file"`,
);
executable(join(fakeBin, 'docker'), 'echo "contoso.azurecr.io/ai-app@sha256:' + 'd'.repeat(64) + '"');

function putBlob(name: string, content: string | Buffer): string {
  const path = join(blobStore, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return sha256(content);
}

const weights = Buffer.from('weights of fraud 1.4.0+exp.1');
const labels = 'legit\nfraud\n';
const goodManifest = JSON.stringify({
  files: [
    { path: 'weights.bin', size: weights.length, sha256: sha256(weights) },
    { path: 'vocab/labels.txt', size: labels.length, sha256: sha256(labels).toUpperCase() },
  ],
});
putBlob(`${MODEL}/${VERSION}/weights.bin`, weights);
putBlob(`${MODEL}/${VERSION}/vocab/labels.txt`, labels);
const manifestSha = putBlob(`${MODEL}/${VERSION}/model.json`, goodManifest);

function buildVariables(): Map<string, string> {
  const variables = yamlVariables(build);
  variables.set('modelStorageAccount', ACCOUNT);
  const sources = join(workspace, 'src');
  mkdirSync(sources, { recursive: true });
  for (const [name, value] of Object.entries({
    'Build.SourceVersion': COMMIT,
    'Build.SourceBranch': 'refs/heads/main',
    'Build.BuildId': BUILD_ID,
    'Build.SourcesDirectory': sources,
    'Build.ArtifactStagingDirectory': join(workspace, 'staging'),
    'Build.Repository.Uri': 'https://github.com/contoso/ai-app',
    'Agent.TempDirectory': join(workspace, 'agent-temp'),
    'System.AccessToken': ACCESS_TOKEN,
  })) {
    variables.set(name, value);
  }
  return variables;
}

const modelParameters: BuildParameters = {
  commit: COMMIT,
  branch: 'main',
  modelName: MODEL,
  modelVersion: VERSION,
  modelUri: `https://${ACCOUNT}.blob.core.windows.net/models/${MODEL}/${encodeURIComponent(VERSION)}/model.json`,
  modelSha256: manifestSha,
  flowId: '0123456789abcdef0123',
  trigger: 'model',
};

const validateBuild = stepByDisplayName(build, 'Validate parameters');
const [downloadModel] = tasks(build, 'AzureCLI@2');
const recordBuild = stepByDisplayName(build, 'Record what was built');

describe('build.yml "Validate parameters"', () => {
  it('accepts what the app sends and hands on validated, read-only variables', () => {
    const variables = buildVariables();
    const result = runStep(validateBuild, modelParameters, variables);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(Object.fromEntries(result.variables)).toEqual({
      'model.name': MODEL,
      'model.version': VERSION,
      'model.blob': `${MODEL}/${VERSION}/model.json`,
      'model.mode': 'manifest',
      'model.sha256': manifestSha,
      'flow.id': modelParameters.flowId,
      'build.trigger': 'model',
      'source.commit': COMMIT,
      'source.branch': 'main',
      'image.name': `contoso.azurecr.io/ai-app:${BUILD_ID}`,
    });
    expect(result.stdout).toContain('isreadonly=true');
  });

  it('lets a manual run name just the model', () => {
    const manual = {
      ...modelParameters,
      commit: '',
      branch: '',
      modelUri: '',
      modelSha256: '',
      flowId: '',
      trigger: 'manual',
    };
    const result = runStep(validateBuild, manual, buildVariables());
    expect(result.status).toBe(0);
    expect(result.variables.get('model.blob')).toBe(`${MODEL}/${VERSION}/model.json`);
    expect(result.stdout).toContain('type=warning');
  });

  it('takes a single-file model by its URL', () => {
    const single = {
      ...modelParameters,
      modelUri: `https://${ACCOUNT}.blob.core.windows.net/models/${MODEL}/2.0.0/model.onnx`,
      modelVersion: '2.0.0',
    };
    const result = runStep(validateBuild, single, buildVariables());
    expect(result.status).toBe(0);
    expect(result.variables.get('model.mode')).toBe('file');
  });

  const hostile = '##vso[task.setvariable variable=image.name]evil.example/x:1';
  it.each([
    ['modelVersion', { modelVersion: '1.0;touch /tmp/pwned' }],
    ['modelVersion', { modelVersion: hostile }],
    ['modelVersion', { modelVersion: '1..2' }],
    ['modelName', { modelName: '../etc' }],
    ['modelName', { modelName: '' }],
    ['flowId', { flowId: '$(System.AccessToken)' }],
    ['flowId', { flowId: hostile }],
    ['trigger', { trigger: 'release' }],
    ['commit', { commit: 'b'.repeat(40) }],
    ['commit', { commit: 'HEAD' }],
    ['branch', { branch: 'develop' }],
    ['branch', { branch: 'main\n##vso[task.complete result=Succeeded]' }],
    ['modelSha256', { modelSha256: '' }],
    ['modelSha256', { modelSha256: 'z'.repeat(64) }],
    ['modelUri', { modelUri: `https://evil.blob.core.windows.net/models/${MODEL}/${VERSION}/model.json` }],
    [
      'modelUri',
      { modelUri: `https://${ACCOUNT}.blob.core.windows.net/other/${MODEL}/${VERSION}/model.json` },
    ],
    ['modelUri', { modelUri: `https://${ACCOUNT}.blob.core.windows.net/models/${MODEL}/9.9.9/model.json` }],
    [
      'modelUri',
      { modelUri: `https://${ACCOUNT}.blob.core.windows.net/models/${MODEL}/${VERSION}/../../x/model.json` },
    ],
    [
      'modelUri',
      { modelUri: `https://${ACCOUNT}.blob.core.windows.net/models/${MODEL}/${VERSION}/%2e%2e/x/model.json` },
    ],
    [
      'modelUri',
      { modelUri: `http://${ACCOUNT}.blob.core.windows.net/models/${MODEL}/${VERSION}/model.json` },
    ],
  ])('refuses a bad %s without echoing it or setting anything: %j', (name, change) => {
    const parameters = { ...modelParameters, ...change };
    const result = runStep(validateBuild, parameters, buildVariables());
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain(`Parameter ${name} is invalid`);
    expect(result.variables.size).toBe(0);
    const value = Object.values(change)[0] ?? '';
    if (value.length > 8) expect(result.stdout).not.toContain(value);
    expect(result.stdout).not.toContain('s3cr3t');
  });
});

describe('build.yml "Download and verify the model"', () => {
  function download(parameters: BuildParameters) {
    const variables = buildVariables();
    const validated = runStep(validateBuild, parameters, variables);
    expect(validated.status).toBe(0);
    if (downloadModel === undefined) throw new Error('no AzureCLI@2 step');
    return { result: runStep(downloadModel, parameters, variables, fakeBin), variables };
  }

  it('verifies the manifest against modelSha256, then every file against the manifest', () => {
    const { result, variables } = download(modelParameters);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('manifest and 2 file(s) verified');
    const modelDir = join(
      variables.get('Build.SourcesDirectory') ?? '',
      variables.get('modelDirectory') ?? '',
    );
    expect(readFileSync(join(modelDir, 'weights.bin'))).toEqual(weights);
    expect(readFileSync(join(modelDir, 'vocab/labels.txt'), 'utf8')).toBe(labels);
    expect(readFileSync(join(modelDir, 'model.json'), 'utf8')).toBe(goodManifest);
  });

  it('refuses a manifest that is not the one announced', () => {
    const { result } = download({ ...modelParameters, modelSha256: 'f'.repeat(64) });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain('the manifest changed after it was announced');
  });

  it.each([
    [
      'a file whose content differs',
      (m: Json[]) => [{ ...m[0], sha256: 'e'.repeat(64) }, m[1]],
      'sha256 differs',
    ],
    ['a file whose size differs', (m: Json[]) => [{ ...m[0], size: 1 }, m[1]], 'size differs'],
    [
      'a path leaving the version folder',
      (m: Json[]) => [{ ...m[0], path: '../1.3.0/weights.bin' }],
      'invalid file path',
    ],
    ['an absolute path', (m: Json[]) => [{ ...m[0], path: '/etc/passwd' }], 'invalid file path'],
    ['no files', () => [], "'files' must be a non-empty list"],
  ])('refuses %s', (_, edit: (files: Json[]) => unknown[], message) => {
    const version = `9.0.${String(Math.floor(Math.random() * 1e9))}`;
    const files = record(JSON.parse(goodManifest), 'manifest').files;
    const entries = Array.isArray(files) ? files.filter(isRecord) : [];
    putBlob(`${MODEL}/${version}/weights.bin`, weights);
    putBlob(`${MODEL}/${version}/vocab/labels.txt`, labels);
    const manifest = JSON.stringify({ files: edit(entries) });
    const digest = putBlob(`${MODEL}/${version}/model.json`, manifest);
    const parameters = {
      ...modelParameters,
      modelVersion: version,
      modelUri: `https://${ACCOUNT}.blob.core.windows.net/models/${MODEL}/${version}/model.json`,
      modelSha256: digest,
    };
    const { result } = download(parameters);
    expect(result.status).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain(message);
  });

  it('checks a single-file model against modelSha256', () => {
    const content = Buffer.from('onnx bytes');
    const digest = putBlob(`${MODEL}/3.0.0/model.onnx`, content);
    const single = {
      ...modelParameters,
      modelVersion: '3.0.0',
      modelUri: `https://${ACCOUNT}.blob.core.windows.net/models/${MODEL}/3.0.0/model.onnx`,
      modelSha256: digest,
    };
    expect(download(single).result.status).toBe(0);
    expect(download({ ...single, modelSha256: 'c'.repeat(64) }).result.status).not.toBe(0);
  });
});

describe('build -> deploy: build-info.json, deploy validation, rendered manifests', () => {
  // The build records what it built...
  const buildVars = buildVariables();
  const validated = runStep(validateBuild, modelParameters, buildVars);
  const recorded = runStep(recordBuild, modelParameters, buildVars, fakeBin);
  const buildInfoPath = join(
    buildVars.get('Build.ArtifactStagingDirectory') ?? '',
    'build-info',
    'build-info.json',
  );

  // ...and publishes it with infra/k8s; the deploy job downloads both under <workspace>/<alias>/<artifact>.
  const pipelineWorkspace = join(workspace, 'deploy');
  mkdirSync(join(pipelineWorkspace, 'build', 'build-info'), { recursive: true });
  cpSync(repoPath('infra/k8s'), join(pipelineWorkspace, 'build', 'manifests'), { recursive: true });
  if (recorded.status === 0)
    cpSync(buildInfoPath, join(pipelineWorkspace, 'build', 'build-info', 'build-info.json'));

  function deployVariables(): Map<string, string> {
    const variables = yamlVariables(deploy);
    variables.set('resources.pipeline.build.runID', BUILD_ID);
    variables.set('Pipeline.Workspace', pipelineWorkspace);
    return variables;
  }
  const release: ReleaseParameters = {
    buildId: BUILD_ID,
    imageTag: BUILD_ID,
    modelName: MODEL,
    modelVersion: VERSION,
    commit: COMMIT,
    flowId: modelParameters.flowId,
  };
  const validateDeploy = stepByDisplayName(deploy, 'Validate parameters against the build');
  const render = stepByDisplayName(deploy, 'Render the manifests');

  it('records the image, the model and the commit', () => {
    expect(validated.status).toBe(0);
    expect(recorded.stderr).toBe('');
    expect(recorded.status).toBe(0);
    const info: unknown = JSON.parse(readFileSync(buildInfoPath, 'utf8'));
    expect(info).toMatchObject({
      image: `contoso.azurecr.io/ai-app:${BUILD_ID}`,
      image_tag: BUILD_ID,
      model_name: MODEL,
      model_version: VERSION,
      model_sha256: manifestSha,
      commit: COMMIT,
      flow_id: modelParameters.flowId,
      build_id: BUILD_ID,
    });
  });

  it('deploys exactly that image, with labels and annotations naming the model version and commit', () => {
    const variables = deployVariables();
    const checked = runStep(validateDeploy, release, variables);
    expect(checked.stderr).toBe('');
    expect(checked.status).toBe(0);
    expect(variables.get('deploy.image')).toBe(`contoso.azurecr.io/ai-app:${BUILD_ID}`);
    const rendered = runStep(render, release, variables);
    expect(rendered.stderr).toBe('');
    expect(rendered.status).toBe(0);

    const out = join(pipelineWorkspace, 'rendered');
    const documents = readdirSync(out).flatMap((file) =>
      parseYamlDocuments(readFileSync(join(out, file), 'utf8')),
    );
    const deployment = documents.find((document) => at(document, ['kind']) === 'Deployment');
    expect(at(deployment, ['spec', 'template', 'spec', 'containers', 0, 'image'])).toBe(
      variables.get('deploy.image'),
    );
    const podLabels = record(at(deployment, ['spec', 'template', 'metadata', 'labels']), 'pod labels');
    expect(podLabels['ai-app-cicd/model-version']).toBe('1.4.0_exp.1');
    expect(podLabels['ai-app-cicd/commit']).toBe(COMMIT);
    expect(podLabels['ai-app-cicd/build-id']).toBe(BUILD_ID);
    for (const value of Object.values(podLabels)) {
      expect(String(value)).toMatch(/^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/);
    }
    expect(at(deployment, ['spec', 'template', 'metadata', 'annotations'])).toMatchObject({
      'ai-app-cicd/model-version': VERSION,
      'ai-app-cicd/model-sha256': manifestSha,
      'ai-app-cicd/commit': COMMIT,
      'ai-app-cicd/flow-id': release.flowId,
    });
    expect(at(deployment, ['spec', 'template', 'spec', 'containers', 0, 'env'])).toContainEqual({
      name: 'MODEL_VERSION',
      value: VERSION,
    });
    expect(JSON.stringify(documents)).not.toMatch(/__[A-Z0-9_]+__/);
  });

  it('takes everything from the build resource on a manual run', () => {
    const manual = { buildId: '', imageTag: '', modelName: '', modelVersion: '', commit: '', flowId: '' };
    const variables = deployVariables();
    expect(runStep(validateDeploy, manual, variables).status).toBe(0);
    expect(variables.get('deploy.image')).toBe(`contoso.azurecr.io/ai-app:${BUILD_ID}`);
    expect(variables.get('deploy.modelVersion')).toBe(VERSION);
  });

  it.each([
    ['buildId', { buildId: '4243' }],
    ['imageTag', { imageTag: 'latest' }],
    ['modelName', { modelName: 'other' }],
    ['modelVersion', { modelVersion: '1.4.1' }],
    ['commit', { commit: 'b'.repeat(40) }],
    ['flowId', { flowId: '##vso[task.setvariable variable=deploy.image]evil' }],
    ['imageTag', { imageTag: '4242;rm -rf /' }],
  ])('refuses a %s that does not match the build: %j', (name, change) => {
    const result = runStep(validateDeploy, { ...release, ...change }, deployVariables());
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain(`Parameter ${name}`);
    expect(result.variables.size).toBe(0);
  });

  it('sends every parameter name the app uses through the steps under test', () => {
    expect(Object.keys(modelParameters).sort()).toEqual([...BUILD_PARAMETER_NAMES].sort());
    expect(Object.keys(release).sort()).toEqual([...RELEASE_PARAMETER_NAMES].sort());
  });
});

describe('deploy.yml: Kubernetes label values from any valid model name and version', () => {
  const validateDeploy = stepByDisplayName(deploy, 'Validate parameters against the build');
  const render = stepByDisplayName(deploy, 'Render the manifests');
  // Kubernetes: (([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?, at most 63 characters.
  const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

  function deployWith(modelName: string, modelVersion: string, commit: string) {
    const pipelineWorkspace = mkdtempSync(join(workspace, 'labels-'));
    mkdirSync(join(pipelineWorkspace, 'build', 'build-info'), { recursive: true });
    cpSync(repoPath('infra/k8s'), join(pipelineWorkspace, 'build', 'manifests'), { recursive: true });
    writeFileSync(
      join(pipelineWorkspace, 'build', 'build-info', 'build-info.json'),
      JSON.stringify({
        image_tag: BUILD_ID,
        model_name: modelName,
        model_version: modelVersion,
        commit,
        model_sha256: 'b'.repeat(64),
      }),
    );
    const variables = yamlVariables(deploy);
    variables.set('resources.pipeline.build.runID', BUILD_ID);
    variables.set('Pipeline.Workspace', pipelineWorkspace);
    const manual = { buildId: '', imageTag: '', modelName: '', modelVersion: '', commit: '', flowId: '' };
    const checked = runStep(validateDeploy, manual, variables);
    expect(checked.stdout + checked.stderr, modelName).not.toContain('logissue');
    expect(checked.status, modelName).toBe(0);
    const rendered = runStep(render, manual, variables);
    expect(rendered.status, rendered.stdout).toBe(0);
    const out = join(pipelineWorkspace, 'rendered');
    return readdirSync(out).flatMap((file) => parseYamlDocuments(readFileSync(join(out, file), 'utf8')));
  }

  it.each([
    ['fraud-', '1.0.0', 'fraud'],
    ['fraud.', '2.0.0+build.7', 'fraud'],
    ['fraud_', '3.0-', 'fraud'],
    [`m${'x'.repeat(61)}-`, `1${'.0'.repeat(31)}`, `m${'x'.repeat(61)}`],
  ])(
    'model %j version %j: every label is a valid label value; annotations keep the exact values',
    (name, version, nameLabel) => {
      const commit = 'c'.repeat(64); // a SHA-256 commit: 64 characters, one too many for a label
      const documents = deployWith(name, version, commit);
      const labelled = documents.flatMap((document) => [
        at(document, ['metadata', 'labels']),
        at(document, ['spec', 'template', 'metadata', 'labels']),
      ]);
      let count = 0;
      for (const labels of labelled) {
        if (!isRecord(labels)) continue;
        for (const [key, value] of Object.entries(labels)) {
          count += 1;
          expect(String(value), key).toMatch(LABEL_VALUE);
          expect(String(value).length, key).toBeLessThanOrEqual(63);
        }
      }
      expect(count).toBeGreaterThan(10);
      const deployment = documents.find((document) => at(document, ['kind']) === 'Deployment');
      expect(at(deployment, ['spec', 'template', 'metadata', 'labels', 'ai-app-cicd/model-name'])).toBe(
        nameLabel,
      );
      expect(at(deployment, ['spec', 'template', 'metadata', 'annotations'])).toMatchObject({
        'ai-app-cicd/model-name': name,
        'ai-app-cicd/model-version': version,
        'ai-app-cicd/commit': commit,
      });
      expect(at(deployment, ['spec', 'template', 'spec', 'containers', 0, 'env'])).toContainEqual({
        name: 'MODEL_NAME',
        value: name,
      });
    },
  );
});

describe('build.yml "Check the commit is on the release branch" (docs/security.md R2)', () => {
  const step = stepByDisplayName(build, 'Check the commit is on the release branch');
  const gitEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
    HOME: workspace,
  };
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, {
      cwd,
      env: gitEnv,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();

  // origin: main = A -> B -> head; feature = B -> F (never merged); a fork's commit X reachable only
  // through refs/pull/1/head (GitHub serves it by SHA; it was never on any branch).
  const root = mkdtempSync(join(workspace, 'git-'));
  const origin = join(root, 'origin.git');
  const author = join(root, 'author');
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', origin);
  git(origin, 'config', 'uploadpack.allowAnySHA1InWant', 'true'); // fetch by commit, as Azure Repos does
  git(origin, 'config', 'uploadpack.allowFilter', 'true');
  git(root, 'clone', '--quiet', origin, author);
  const commit = (message: string) => {
    writeFileSync(join(author, 'file.txt'), `${message}\n`);
    git(author, 'add', 'file.txt');
    git(author, 'commit', '--quiet', '-m', message);
    return git(author, 'rev-parse', 'HEAD');
  };
  const A = commit('A');
  const B = commit('B');
  const head = commit('head');
  git(author, 'push', '--quiet', 'origin', 'main');
  git(author, 'checkout', '--quiet', '-b', 'feature', B);
  const F = commit('F');
  git(author, 'push', '--quiet', 'origin', 'feature');
  git(author, 'checkout', '--quiet', '--detach', head);
  const X = commit('fork');
  git(author, 'push', '--quiet', 'origin', `${X}:refs/pull/1/head`);

  /** The agent's checkout: fetch origin (all branches, or `depth` commits of each), check out `sha`. */
  function checkout(sha: string, depth?: number): string {
    const sources = mkdtempSync(join(root, 'sources-'));
    git(sources, 'init', '--quiet');
    git(sources, 'remote', 'add', 'origin', `file://${origin}`);
    const shallow = depth === undefined ? [] : [`--depth=${String(depth)}`];
    git(
      sources,
      'fetch',
      '--quiet',
      ...shallow,
      'origin',
      '+refs/heads/*:refs/remotes/origin/*',
      '+refs/pull/*:refs/remotes/pull/*',
    );
    // A shallow fetch also fetches the commit itself (the agent's fetch by commit).
    if (depth !== undefined) git(sources, 'fetch', '--quiet', ...shallow, 'origin', sha);
    git(sources, 'checkout', '--quiet', '--force', sha);
    return sources;
  }

  function check(sha: string, sources: string, sourceBranch = 'refs/heads/main') {
    const variables = new Map([
      ['source.commit', sha],
      ['source.branch', sourceBranch.replace(/^refs\/heads\//, '')],
      ['Build.SourceBranch', sourceBranch],
      ['Build.SourcesDirectory', sources],
    ]);
    return runStep(step, {}, variables);
  }

  it('comes right after the parameters are validated, before the model is downloaded', () => {
    const names = pipelineSteps(build).map((candidate) => candidate.displayName);
    expect(names.indexOf('Check the commit is on the release branch')).toBe(
      names.indexOf('Validate parameters') + 1,
    );
    expect(at(pipelineSteps(build)[0], ['fetchDepth'])).toBe(0);
    expect(at(pipelineSteps(build)[0], ['fetchFilter'])).toBe('tree:0');
  });

  it.each([
    ['an older commit of the branch', () => A],
    ['the head of the branch', () => head],
  ])('accepts %s', (_, sha) => {
    const result = check(sha(), checkout(sha()));
    expect(result.stdout).not.toContain('logissue');
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`Commit ${sha()} is on main`);
  });

  it.each([
    ['a commit of another branch', () => F],
    ["a fork's commit that was never on a branch", () => X],
  ])('refuses %s', (_, sha) => {
    const result = check(sha(), checkout(sha()));
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain(`Commit ${sha()} is not on branch main`);
  });

  it('fetches the history a shallow checkout lacks, then decides the same way', () => {
    const accepted = check(B, checkout(B, 1));
    expect(accepted.status, accepted.stdout + accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain('Fetching the history of main');
    const refused = check(F, checkout(F, 1));
    expect(refused.status).not.toBe(0);
    expect(refused.stdout).toContain(`Commit ${F} is not on branch main`);
  });

  it('refuses a run that is not on a branch (a tag, a pull request)', () => {
    const result = check(head, checkout(head), 'refs/tags/v1.0.0');
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain('is not on a branch (refs/tags/v1.0.0)');
  });
});
