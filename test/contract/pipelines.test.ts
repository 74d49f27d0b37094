/**
 * infra/pipelines/build.yml and deploy.yml against what the app sends them
 * (src/core/pipelineParameters.ts) and against each other.
 */
import { describe, expect, it } from 'vitest';
import { BUILD_PARAMETER_NAMES, RELEASE_PARAMETER_NAMES } from '../../src/core/pipelineParameters.js';
import {
  at,
  bicepStringParamDefault,
  isRecord,
  list,
  mappings,
  pipelineParameters,
  pipelineSteps,
  readJson,
  readText,
  readYaml,
  record,
  scriptBodies,
  strings,
  tasks,
  text,
} from './support.js';

const build = readYaml('infra/pipelines/build.yml');
const deploy = readYaml('infra/pipelines/deploy.yml');
const pipelines = [
  { file: 'build.yml', pipeline: build, names: BUILD_PARAMETER_NAMES },
  { file: 'deploy.yml', pipeline: deploy, names: RELEASE_PARAMETER_NAMES },
] as const;

function variable(pipeline: unknown, name: string): string {
  return text(at(pipeline, ['variables', name]), `variables.${name}`);
}

describe.each(pipelines)('$file parameters', ({ pipeline, names }) => {
  const declared = pipelineParameters(pipeline);

  it('are exactly the templateParameters the app sends', () => {
    expect(declared.map((parameter) => parameter.name).sort()).toEqual([...names].sort());
    expect(new Set(declared.map((parameter) => parameter.name)).size).toBe(declared.length);
  });

  it('are strings with a default, so a manual run works', () => {
    for (const parameter of declared) {
      expect(parameter.type, parameter.name).toBe('string');
      expect(parameter.hasDefault, parameter.name).toBe(true);
    }
  });

  it('reach scripts only as whole-value env mappings', () => {
    const uses = strings(pipeline).filter(({ value }) => value.includes('parameters.'));
    expect(uses.length).toBeGreaterThanOrEqual(names.length);
    for (const use of uses) {
      expect(use.path.at(-2), use.path.join('.')).toBe('env');
      expect(use.value, use.path.join('.')).toMatch(/^\$\{\{ parameters\.[A-Za-z0-9]+ \}\}$/);
    }
  });

  it('never appear inside a script body, not even as a macro', () => {
    for (const step of pipelineSteps(pipeline)) {
      for (const body of scriptBodies(step)) {
        expect(body).not.toMatch(/\$\{\{|parameters\./);
      }
    }
  });

  it('are all validated by the first step that runs a script, before anything else uses them', () => {
    const scripted = pipelineSteps(pipeline).filter(
      (step) => scriptBodies(step).length > 0 || 'task' in step,
    );
    const first = scripted[0];
    expect(first?.bash, 'the first step is a bash validation step').toEqual(expect.any(String));
    const env = record(first?.env, 'env of the validation step');
    const mapped = Object.values(env).filter(
      (value) => typeof value === 'string' && value.includes('parameters.'),
    );
    expect(
      mapped.map((value) => String(value).replace(/^\$\{\{ parameters\.(\w+) \}\}$/, '$1')).sort(),
    ).toEqual([...names].sort());
    // No later step maps a raw parameter: they use the validated variables.
    for (const step of scripted.slice(1)) {
      expect(JSON.stringify(step)).not.toContain('parameters.');
    }
  });

  it('are started only by the app', () => {
    expect(at(pipeline, ['trigger'])).toBe('none');
    expect(at(pipeline, ['pr'])).toBe('none');
  });
});

describe('build.yml', () => {
  it('downloads the model with the Azure CLI over a service connection, by identity only', () => {
    const [download, ...others] = tasks(build, 'AzureCLI@2');
    expect(others).toEqual([]);
    const inputs = record(download?.inputs, 'AzureCLI@2 inputs');
    expect(inputs.azureSubscription).toBe('${{ variables.azureServiceConnection }}');
    const script = text(inputs.inlineScript, 'inlineScript');
    expect(script).toContain('az storage blob download --auth-mode login');
    expect(script).not.toMatch(/account-key|--sas-token|connection-string|AZURE_STORAGE_KEY/i);
    // Manifest models: the manifest is pinned by modelSha256, every file by the manifest.
    expect(script).toContain('sha256sum');
    expect(script).toContain('"$MODEL_SHA256"');
  });

  it('smoke-tests the container before pushing, and pushes the build id tag to ACR', () => {
    const steps = pipelineSteps(build);
    const index = (predicate: (step: Record<string, unknown>) => boolean): number =>
      steps.findIndex(predicate);
    const dockerBuild = index((step) => typeof step.bash === 'string' && step.bash.includes('docker build'));
    const smoke = index((step) => typeof step.bash === 'string' && step.bash.includes('$SCORE_PATH'));
    const push = index((step) => step.task === 'Docker@2' && at(step, ['inputs', 'command']) === 'push');
    expect(dockerBuild).toBeGreaterThan(0);
    expect(smoke).toBeGreaterThan(dockerBuild);
    expect(push).toBeGreaterThan(smoke);
    const pushInputs = record(steps[push]?.inputs, 'push inputs');
    expect(pushInputs.tags).toBe('$(Build.BuildId)');
    expect(pushInputs.repository).toBe('$(imageRepository)');
    expect(pushInputs.containerRegistry).toBe('${{ variables.containerRegistryServiceConnection }}');
  });

  it('labels the image with the commit and the model version (OCI labels)', () => {
    const script = text(
      pipelineSteps(build).find((step) => String(step.bash).includes('docker build'))?.bash,
      'build',
    );
    expect(script).toContain('org.opencontainers.image.revision=$COMMIT');
    expect(script).toContain('ai-app-cicd.model.version=$MODEL_VERSION');
    expect(variable(build, 'dockerContext')).not.toBe('');
    expect(variable(build, 'modelDirectory').startsWith(`${variable(build, 'dockerContext')}/`)).toBe(true);
  });

  it('publishes the Kubernetes manifests and build-info.json as artifacts', () => {
    const published = pipelineSteps(build)
      .filter((step) => 'publish' in step)
      .map((step) => [step.artifact, step.publish]);
    expect(published).toContainEqual(['manifests', '$(Build.SourcesDirectory)/$(manifestsDirectory)']);
    expect(published).toContainEqual(['build-info', '$(Build.ArtifactStagingDirectory)/build-info']);
    expect(variable(build, 'manifestsDirectory')).toBe('infra/k8s');
  });
});

describe('deploy.yml', () => {
  const alias = bicepStringParamDefault(readText('infra/main.bicep'), 'releaseBuildResourceAlias');
  const sample = record(record(readJson('local.settings.sample.json'), 'sample').Values, 'Values');

  it('consumes the build as the pipeline resource the app names (RELEASE_BUILD_RESOURCE_ALIAS)', () => {
    expect(alias).toBe('build');
    expect(sample.RELEASE_BUILD_RESOURCE_ALIAS).toBe(alias);
    const [resource, ...others] = list(at(deploy, ['resources', 'pipelines']), 'resources.pipelines');
    expect(others).toEqual([]);
    expect(at(resource, ['pipeline'])).toBe(alias);
    // Only the app starts releases: a resource trigger would release every build a second time.
    expect(at(resource, ['trigger'])).toBe('none');
    // The build pipeline is created under this name (docs/deploy.md).
    const source = text(at(resource, ['source']), 'source');
    expect(readText('docs/deploy.md')).toContain(`--name ${source} `);
  });

  it('downloads the artifacts the build publishes, from that resource', () => {
    const downloads = pipelineSteps(deploy)
      .filter((step) => 'download' in step)
      .map((step) => [step.download, step.artifact]);
    expect(downloads).toEqual([
      [alias, 'manifests'],
      [alias, 'build-info'],
    ]);
    expect(readText('infra/pipelines/deploy.yml')).toContain('$(resources.pipeline.build.runID)');
  });

  it('deploys in a deployment job to an environment, where approvals can be added', () => {
    const jobs = mappings(deploy).filter(({ node }) => 'deployment' in node);
    expect(jobs).toHaveLength(1);
    const job = jobs[0]?.node;
    expect(job?.environment).toEqual(expect.any(String));
    expect(at(job, ['strategy', 'runOnce', 'deploy', 'steps'])).toEqual(expect.any(Array));
  });

  it('deploys the exact image of the build with KubernetesManifest', () => {
    const [task, ...others] = tasks(deploy, 'KubernetesManifest@1');
    expect(others).toEqual([]);
    const inputs = record(task?.inputs, 'KubernetesManifest inputs');
    expect(inputs.action).toBe('deploy');
    expect(inputs.containers).toBe('$(deploy.image)');
    expect(inputs.manifests).toBe('$(Pipeline.Workspace)/rendered/*');
    const validate = text(
      pipelineSteps(deploy).find((step) => isRecord(step.env) && 'P_IMAGE_TAG' in step.env)?.bash,
      'v',
    );
    expect(validate).toContain('image="$CONTAINER_REGISTRY/$IMAGE_REPOSITORY:$built_tag"');
  });

  it('names the same registry and repository as the build', () => {
    expect(variable(deploy, 'containerRegistry')).toBe(variable(build, 'containerRegistry'));
    expect(variable(deploy, 'imageRepository')).toBe(variable(build, 'imageRepository'));
    expect(variable(deploy, 'azureServiceConnection')).toBe(variable(build, 'azureServiceConnection'));
  });
});
