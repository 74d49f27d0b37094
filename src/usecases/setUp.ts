/**
 * The operator's `setup`: everything the app needs outside itself, created or updated until it
 * is as it should be — idempotently, so a second run creates nothing. The containers and
 * queues; the service-hook subscriptions that call the app back; and a preview run of each
 * pipeline with exactly what the app sends, so a pipeline that would refuse it is found now
 * rather than at the first model upload.
 */
import type { AppConfig } from '../config.js';
import type { ReleaseCandidate } from '../core/buildCompleted.js';
import { branchFlowIdOf } from '../core/flowId.js';
import type { TriggerKind } from '../core/flow.js';
import {
  planSubscriptions,
  serviceHookUrl,
  subscriptionRequest,
  wantedSubscriptions,
  type SetupTarget,
  type WantedSubscription,
} from '../core/serviceHookSetup.js';
import { describeError, InfrastructureError } from '../errors.js';
import type { AzureDevOpsProject } from '../ports/azureDevOpsProject.js';
import type { BuildRequest } from '../ports/buildPipeline.js';
import type { HookSubscription, ServiceHookSubscriptions } from '../ports/serviceHooks.js';
import type { StorageLayout } from '../ports/storageLayout.js';
import { releaseBranch } from './acceptModelUpload.js';

/** One line of a setup or a check: what, how it went, and the fix when it failed. */
export interface Step {
  readonly name: string;
  readonly status: 'ok' | 'created' | 'updated' | 'unchanged' | 'failed' | 'skipped';
  readonly detail: string;
  readonly fix?: string;
}

export interface OperatorDeps {
  readonly config: AppConfig;
  /** The queues the app's functions use (work, poison). */
  readonly queues: readonly string[];
  readonly storage: StorageLayout;
  readonly project: AzureDevOpsProject;
  readonly hooks: ServiceHookSubscriptions;
}

export interface SetUpResult {
  readonly steps: readonly Step[];
  readonly created: number;
  readonly updated: number;
  readonly failed: number;
}

export async function setUp(
  deps: OperatorDeps,
  request: { readonly appUrl: string; readonly updatePassword?: boolean },
): Promise<SetUpResult> {
  const steps: Step[] = [];
  const hookUrl = serviceHookUrl(request.appUrl);
  if (hookUrl === undefined) {
    return summarize([
      failed(
        'app URL',
        `${request.appUrl} is not an http(s) URL`,
        'pass the app’s base URL, e.g. https://<app>.azurewebsites.net',
      ),
    ]);
  }
  steps.push(...(await ensureStorage(deps)));
  const devops = await resolveDevOps(deps);
  steps.push(...devops.steps);
  if (devops.target !== undefined) {
    steps.push(...(await previewPipelines(deps)));
    steps.push(
      ...(await ensureSubscriptions(
        deps,
        {
          ...devops.target,
          appUrl: hookUrl,
          username: deps.config.serviceHook.username,
          password: deps.config.serviceHook.password,
        },
        request.updatePassword === true,
      )),
    );
  }
  return summarize(steps);
}

function summarize(steps: readonly Step[]): SetUpResult {
  const count = (status: Step['status']): number => steps.filter((step) => step.status === status).length;
  return { steps, created: count('created'), updated: count('updated'), failed: count('failed') };
}

async function ensureStorage(deps: OperatorDeps): Promise<Step[]> {
  const { modelsContainer, ledgerContainer } = deps.config.storage;
  const steps: Step[] = [];
  for (const name of [modelsContainer, ledgerContainer]) {
    steps.push(
      await attempt(
        `container ${name}`,
        async () => {
          const outcome = await deps.storage.createContainer(name);
          return outcome === 'created'
            ? created(`container ${name}`, 'created')
            : unchanged(`container ${name}`, 'exists');
        },
        'check the storage settings and that the identity may create containers (Storage Blob Data Contributor)',
      ),
    );
  }
  for (const name of deps.queues) {
    steps.push(
      await attempt(
        `queue ${name}`,
        async () => {
          const outcome = await deps.storage.createQueue(name);
          return outcome === 'created'
            ? created(`queue ${name}`, 'created')
            : unchanged(`queue ${name}`, 'exists');
        },
        'check the storage settings and that the identity may create queues (Storage Queue Data Contributor)',
      ),
    );
  }
  return steps;
}

export interface DevOpsTarget {
  readonly project: SetupTarget['project'];
  readonly buildPipelineName: string;
  readonly release: SetupTarget['release'];
}

/**
 * Who the app is in Azure DevOps, and the names subscriptions filter on: the build pipeline's,
 * the deploy pipeline's (or the classic definition with our artifact alias). Each is a step.
 */
export async function resolveDevOps(
  deps: Pick<OperatorDeps, 'config' | 'project'>,
): Promise<{ readonly steps: readonly Step[]; readonly target?: DevOpsTarget }> {
  const { azureDevOps, release } = deps.config;
  const steps: Step[] = [];
  try {
    const me = await deps.project.whoAmI();
    steps.push(ok('Azure DevOps', `${azureDevOps.orgUrl} reachable, authenticated as ${me.displayName}`));
  } catch (error) {
    return { steps: [devOpsFailure('Azure DevOps', error, deps.config)] };
  }
  let target: DevOpsTarget | undefined;
  try {
    const build = await deps.project.pipeline(azureDevOps.buildPipelineId);
    if (build === undefined) {
      steps.push(
        failed(
          'build pipeline',
          `pipeline ${azureDevOps.buildPipelineId} does not exist in project ${azureDevOps.project}`,
          'set BUILD_PIPELINE_ID to the build pipeline’s id (`az pipelines show --name ai-app-build --query id`)',
        ),
      );
    } else steps.push(ok('build pipeline', `${build.id} ${build.name}`));
    const project = { id: build?.projectId ?? azureDevOps.project, name: azureDevOps.project };
    if (release.mode === 'pipeline') {
      const deploy = await deps.project.pipeline(release.pipelineId);
      if (deploy === undefined)
        steps.push(
          failed(
            'deploy pipeline',
            `pipeline ${release.pipelineId} does not exist in project ${azureDevOps.project}`,
            'set RELEASE_PIPELINE_ID to the deploy pipeline’s id (`az pipelines show --name ai-app-deploy --query id`)',
          ),
        );
      else steps.push(ok('deploy pipeline', `${deploy.id} ${deploy.name}`));
      if (build !== undefined && deploy !== undefined)
        target = {
          project,
          buildPipelineName: build.name,
          release: { mode: 'pipeline', pipelineName: deploy.name },
        };
    } else {
      const definition = await deps.project.releaseDefinition(release.definitionId);
      if (definition === undefined)
        steps.push(
          failed(
            'release definition',
            `classic release definition ${release.definitionId} does not exist in project ${azureDevOps.project}`,
            'set RELEASE_DEFINITION_ID to the release definition’s id (Pipelines → Releases → the definition → its URL’s definitionId)',
          ),
        );
      else if (!definition.artifactAliases.includes(release.artifactAlias))
        steps.push(
          failed(
            'release definition',
            `${definition.id} ${definition.name} has no artifact alias "${release.artifactAlias}" (it has: ${definition.artifactAliases.join(', ') || 'none'})`,
            `set RELEASE_ARTIFACT_ALIAS to the alias of the build pipeline's artifact in the definition${definition.artifactAliases[0] === undefined ? ', after adding that artifact' : ` (e.g. ${definition.artifactAliases[0]})`}`,
          ),
        );
      else
        steps.push(
          ok(
            'release definition',
            `${definition.id} ${definition.name}, artifact alias ${release.artifactAlias}`,
          ),
        );
      if (build !== undefined && definition !== undefined)
        target = {
          project,
          buildPipelineName: build.name,
          release: { mode: 'classic', definitionId: definition.id },
        };
    }
  } catch (error) {
    steps.push(devOpsFailure('Azure DevOps', error, deps.config));
    return { steps };
  }
  return target === undefined ? { steps } : { steps, target };
}

/** Sample values, shaped like the app's own, for preview runs. */
export function previewSamples(
  config: AppConfig,
  blobEndpoint: string,
): { readonly builds: readonly BuildRequest[]; readonly release: Omit<ReleaseCandidate, 'buildId'> } {
  const name = config.model.name;
  const version = '1.0.0';
  const branch = releaseBranch(config.github.branches);
  const flowId = branchFlowIdOf(name, version, branch);
  const model = {
    name,
    version,
    uri: `${blobEndpoint}/${config.storage.modelsContainer}/${name}/${version}/model.json`,
    sha256: '0'.repeat(64),
  };
  // The triggers the app starts builds with; without a commit the preview reads the branch head's YAML.
  const triggers: readonly TriggerKind[] = ['model', 'push'];
  return {
    builds: triggers.map((trigger) => ({ flowId, model, branch, trigger })),
    release: { buildNumber: '', flowId, modelName: name, modelVersion: version, commit: '0'.repeat(40) },
  };
}

/** Preview runs: do the pipelines accept exactly what the app sends? */
export async function previewPipelines(
  deps: Pick<OperatorDeps, 'config' | 'project' | 'storage'>,
): Promise<Step[]> {
  const { config } = deps;
  const samples = previewSamples(config, deps.storage.blobEndpoint);
  const steps: Step[] = [];
  const pipelineFix = (file: string): string =>
    `the pipeline's YAML on the release branch must declare the app's parameters: copy infra/pipelines/${file} into the AI app's repository (docs/deploy.md, step 1)`;
  for (const request of samples.builds) {
    steps.push(
      await attempt(
        `build pipeline accepts ${request.trigger} builds`,
        async () => {
          const outcome = await deps.project.previewBuild(request);
          return outcome.ok
            ? ok(
                `build pipeline accepts ${request.trigger} builds`,
                `preview run of ${config.azureDevOps.buildPipelineId} on ${request.branch}`,
              )
            : failed(
                `build pipeline accepts ${request.trigger} builds`,
                outcome.problem,
                pipelineFix('build.yml'),
              );
        },
        undefined,
        config,
      ),
    );
  }
  const release = config.release;
  if (release.mode === 'pipeline') {
    steps.push(
      await attempt(
        'deploy pipeline accepts releases',
        async () => {
          const buildId = await deps.project.latestRunId(config.azureDevOps.buildPipelineId);
          const outcome = await deps.project.previewRelease(
            { ...samples.release, buildId: buildId ?? 1 },
            buildId !== undefined,
          );
          const resource =
            buildId === undefined
              ? `pipeline resource "${release.buildResourceAlias}" not checked: the build pipeline has no run yet`
              : `pipeline resource "${release.buildResourceAlias}" = run ${buildId}`;
          return outcome.ok
            ? ok('deploy pipeline accepts releases', `preview run of ${release.pipelineId}; ${resource}`)
            : failed(
                'deploy pipeline accepts releases',
                outcome.problem,
                /resource/i.test(outcome.problem)
                  ? `set RELEASE_BUILD_RESOURCE_ALIAS to the alias of the build pipeline in deploy.yml's resources.pipelines`
                  : pipelineFix('deploy.yml'),
              );
        },
        undefined,
        config,
      ),
    );
  }
  return steps;
}

async function ensureSubscriptions(
  deps: OperatorDeps,
  target: SetupTarget,
  updatePassword: boolean,
): Promise<Step[]> {
  const wanted = wantedSubscriptions(target);
  const steps: Step[] = [];
  let listed;
  try {
    listed = await listSubscriptionsOf(deps.hooks, wanted);
  } catch (error) {
    return [devOpsFailure('service hooks', error, deps.config)];
  }
  for (const plan of planSubscriptions(listed, wanted, target.project, { updatePassword })) {
    const name = `service hook ${plan.wanted.title}`;
    const also =
      plan.duplicates.length === 0
        ? ''
        : `; ${plan.duplicates.length} more for the same URL (${plan.duplicates.map((item) => item.id).join(', ')}): the app gets each notification more than once (harmless), delete the extra ones`;
    steps.push(
      await attempt(
        name,
        async () => {
          switch (plan.kind) {
            case 'create': {
              const made = await deps.hooks.create(subscriptionRequest(plan.wanted));
              return created(name, `subscription ${made.id} → ${plan.wanted.consumerInputs.url}${also}`);
            }
            case 'update': {
              await deps.hooks.replace(plan.existing.id, subscriptionRequest(plan.wanted, plan.existing));
              return {
                name,
                status: 'updated',
                detail: `subscription ${plan.existing.id}: ${plan.changes.join(', ')}${also}`,
              };
            }
            case 'unchanged':
              return unchanged(name, `subscription ${plan.existing.id}, enabled${also}`);
          }
        },
        undefined,
        deps.config,
      ),
    );
  }
  return steps;
}

/** A step that failed with an infrastructure error says what to fix. */
/** The organisation's subscriptions to every event the app wants (one list per publisher and event). */
export async function listSubscriptionsOf(
  hooks: ServiceHookSubscriptions,
  wanted: readonly WantedSubscription[],
): Promise<readonly HookSubscription[]> {
  const events = new Map(wanted.map((want) => [`${want.publisherId} ${want.eventType}`, want]));
  const lists = await Promise.all(
    [...events.values()].map((want) =>
      hooks.list({ publisherId: want.publisherId, eventType: want.eventType }),
    ),
  );
  return lists.flat();
}

export function devOpsFailure(name: string, error: unknown, config: AppConfig): Step {
  const code = error instanceof InfrastructureError ? error.code : 'UNEXPECTED';
  const auth = config.azureDevOps.auth;
  switch (code) {
    case 'ADO_AUTH_FAILED':
      return failed(
        name,
        describeError(error),
        auth.kind === 'pat'
          ? 'AZURE_DEVOPS_PAT is wrong or expired: create a token with Build (Read & execute), Service Hooks (Read & write)' +
              (config.release.mode === 'classic' ? ', Release (Read, write & execute)' : '') +
              ' and set it'
          : 'the identity is not in the organisation or has no access: add it (docs/deploy.md, step 5), or `az login` / set AZURE_DEVOPS_PAT when running locally',
      );
    case 'ADO_NOT_FOUND':
      return failed(
        name,
        describeError(error),
        `check AZURE_DEVOPS_ORG_URL (${config.azureDevOps.orgUrl}) and AZURE_DEVOPS_PROJECT (${config.azureDevOps.project})`,
      );
    default:
      return failed(
        name,
        describeError(error),
        `Azure DevOps at ${config.azureDevOps.orgUrl} did not answer as expected; try again, or check the URL and the network`,
      );
  }
}

/** Runs one step; a failure becomes a failed step with its fix (Azure DevOps failures: by their code). */
export async function attempt(
  name: string,
  action: () => Promise<Step>,
  fix?: string,
  config?: AppConfig,
): Promise<Step> {
  try {
    return await action();
  } catch (error) {
    if (config !== undefined && error instanceof InfrastructureError && error.code.startsWith('ADO_'))
      return devOpsFailure(name, error, config);
    return failed(
      name,
      describeError(error),
      fix ?? 'try again; if it persists, check the settings and the network',
    );
  }
}

function ok(name: string, detail: string): Step {
  return { name, status: 'ok', detail };
}

function created(name: string, detail: string): Step {
  return { name, status: 'created', detail };
}

function unchanged(name: string, detail: string): Step {
  return { name, status: 'unchanged', detail };
}

export function failed(name: string, detail: string, fix: string): Step {
  return { name, status: 'failed', detail, fix };
}
