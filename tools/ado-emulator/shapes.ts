/**
 * Wire shapes, modelled on the Azure DevOps REST responses (api-version 7.1/7.2): enums as camelCase
 * strings, dates as ISO-8601 UTC strings, `_links` with `web.href` for the portal pages.
 */
import { stableGuid } from './ids.js';
import type {
  BuildState,
  OrgState,
  PipelineState,
  ProjectState,
  ReleaseDefinitionState,
  ReleaseEnvironmentState,
  ReleaseState,
  SubscriptionState,
  VariableValue,
} from './store.js';
import type { BuildResultName } from './enums.js';
import { putOwn } from '../json.js';

export type Shape = Record<string, unknown>;

export interface UrlContext {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
}

export function orgUrl(ctx: UrlContext, org: OrgState): string {
  return `${ctx.baseUrl}/${encodeURIComponent(org.name)}`;
}

export function vsrmUrl(ctx: UrlContext, org: OrgState): string {
  return `${ctx.baseUrl}/vsrm/${encodeURIComponent(org.name)}`;
}

const EMULATOR_USER = {
  displayName: 'Emulator User',
  url: 'https://spsprodweu5.vssps.visualstudio.com/_apis/Identities/5a1bc3c0-0000-4000-8000-000000000001',
  _links: {
    avatar: {
      href: 'https://dev.azure.com/_apis/GraphProfile/MemberAvatars/aad.ZW11bGF0b3I',
    },
  },
  id: '5a1bc3c0-0000-4000-8000-000000000001',
  uniqueName: 'emulator@example.com',
  imageUrl: '',
  descriptor: 'aad.ZW11bGF0b3I',
};

export function identity(): Shape {
  return { ...EMULATOR_USER };
}

export function projectReference(ctx: UrlContext, org: OrgState, project: ProjectState): Shape {
  return {
    id: project.id,
    name: project.name,
    url: `${orgUrl(ctx, org)}/_apis/projects/${project.id}`,
    state: 'wellFormed',
    revision: 1,
    visibility: 'private',
    lastUpdateTime: '2026-01-01T00:00:00.000Z',
  };
}

function projectBase(ctx: UrlContext, org: OrgState, p: ProjectState): string {
  return `${orgUrl(ctx, org)}/${p.id}`;
}

function projectWeb(ctx: UrlContext, org: OrgState, p: ProjectState): string {
  return `${orgUrl(ctx, org)}/${encodeURIComponent(p.name)}`;
}

function repositoryConfig(pipeline: PipelineState): Shape {
  return {
    id: pipeline.repository.id,
    fullName: pipeline.repository.name,
    type: pipeline.repository.type === 'TfsGit' ? 'azureReposGit' : 'gitHub',
  };
}

export function pipelineReference(
  ctx: UrlContext,
  org: OrgState,
  p: ProjectState,
  pipeline: PipelineState,
): Shape {
  return {
    url: `${projectBase(ctx, org, p)}/_apis/pipelines/${pipeline.id}?revision=${pipeline.revision}`,
    id: pipeline.id,
    revision: pipeline.revision,
    name: pipeline.name,
    folder: pipeline.folder,
  };
}

export function pipeline(ctx: UrlContext, org: OrgState, p: ProjectState, pl: PipelineState): Shape {
  const ref = pipelineReference(ctx, org, p, pl);
  return {
    _links: {
      self: { href: ref.url },
      web: { href: `${projectWeb(ctx, org, p)}/_build/definition?definitionId=${pl.id}` },
    },
    configuration: { path: pl.yamlPath, repository: repositoryConfig(pl), type: 'yaml' },
    ...ref,
  };
}

export function definitionReference(
  ctx: UrlContext,
  org: OrgState,
  p: ProjectState,
  pl: PipelineState,
): Shape {
  return {
    drafts: [],
    id: pl.id,
    name: pl.name,
    url: `${projectBase(ctx, org, p)}/_apis/build/Definitions/${pl.id}?revision=${pl.revision}`,
    uri: `vstfs:///Build/Definition/${pl.id}`,
    path: pl.folder,
    type: 'build',
    queueStatus: 'enabled',
    revision: pl.revision,
    project: projectReference(ctx, org, p),
  };
}

function hostedQueue(): Shape {
  return { id: 1, name: 'Azure Pipelines', pool: { id: 1, name: 'Azure Pipelines', isHosted: true } };
}

function variablesOut(vars: Record<string, VariableValue>): Record<string, Shape> {
  const out: Record<string, Shape> = {};
  for (const [name, v] of Object.entries(vars)) {
    putOwn(out, name, v.isSecret ? { isSecret: true } : { value: v.value ?? '' });
  }
  return out;
}

function buildParametersJson(vars: Record<string, VariableValue>): string {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(vars)) {
    if (!v.isSecret) putOwn(out, name, v.value ?? '');
  }
  return JSON.stringify(out);
}

export function build(
  ctx: UrlContext,
  org: OrgState,
  p: ProjectState,
  pl: PipelineState,
  b: BuildState,
): Shape {
  const apiUrl = `${projectBase(ctx, org, p)}/_apis/build/Builds/${b.id}`;
  const shape: Shape = {
    _links: {
      self: { href: apiUrl },
      web: { href: `${projectWeb(ctx, org, p)}/_build/results?buildId=${b.id}` },
      sourceVersionDisplayUri: { href: `${apiUrl}/sources` },
      timeline: { href: `${projectBase(ctx, org, p)}/_apis/build/builds/${b.id}/Timeline` },
      badge: { href: `${projectBase(ctx, org, p)}/_apis/build/status/${pl.id}` },
    },
    properties: {},
    tags: [],
    validationResults: [],
    plans: [{ planId: b.planId }],
    templateParameters: { ...b.templateParameters },
    triggerInfo: {},
    id: b.id,
    buildNumber: b.buildNumber,
    buildNumberRevision: b.buildNumberRevision,
    status: b.status,
    queueTime: b.queueTime.toISOString(),
    url: apiUrl,
    definition: definitionReference(ctx, org, p, pl),
    project: projectReference(ctx, org, p),
    uri: `vstfs:///Build/Build/${b.id}`,
    sourceBranch: b.sourceBranch,
    sourceVersion: b.sourceVersion,
    queue: hostedQueue(),
    priority: 'normal',
    reason: b.reason,
    requestedFor: identity(),
    requestedBy: identity(),
    lastChangedDate: b.lastChangedDate.toISOString(),
    lastChangedBy: identity(),
    parameters: buildParametersJson(b.variables),
    orchestrationPlan: { planId: b.planId },
    logs: { id: 0, type: 'Container', url: `${apiUrl}/logs` },
    repository: {
      id: b.repository.id,
      type: b.repository.type,
      name: b.repository.name,
      url: `https://github.com/${b.repository.name}.git`,
      clean: null,
      checkoutSubmodules: false,
    },
    retainedByRelease: false,
    triggeredByBuild: null,
    appendCommitMessageToRunName: true,
  };
  if (b.startTime) shape.startTime = b.startTime.toISOString();
  if (b.finishTime) shape.finishTime = b.finishTime.toISOString();
  if (b.result) shape.result = b.result;
  return shape;
}

function runState(b: BuildState): string {
  switch (b.status) {
    case 'completed':
      return 'completed';
    case 'cancelling':
      return 'canceling';
    default:
      return 'inProgress';
  }
}

/** The Pipelines API has no partiallySucceeded; such builds show as succeeded runs. */
function runResult(result: BuildResultName): string {
  switch (result) {
    case 'failed':
      return 'failed';
    case 'canceled':
      return 'canceled';
    case 'none':
      return 'unknown';
    default:
      return 'succeeded';
  }
}

export function run(
  ctx: UrlContext,
  org: OrgState,
  p: ProjectState,
  pl: PipelineState,
  b: BuildState,
  resolvePipeline: (id: number) => PipelineState | undefined,
): Shape {
  const ref = pipelineReference(ctx, org, p, pl);
  const runUrl = `${projectBase(ctx, org, p)}/_apis/pipelines/${pl.id}/runs/${b.id}`;
  const pipelines: Record<string, Shape> = {};
  for (const r of b.pipelineResources) {
    const referenced = resolvePipeline(r.pipelineId);
    putOwn(pipelines, r.alias, {
      ...(referenced ? { pipeline: pipelineReference(ctx, org, p, referenced) } : {}),
      version: r.version,
      runId: r.runId,
    });
  }
  const shape: Shape = {
    _links: {
      self: { href: runUrl },
      web: { href: `${projectWeb(ctx, org, p)}/_build/results?buildId=${b.id}` },
      'pipeline.web': { href: `${projectWeb(ctx, org, p)}/_build/definition?definitionId=${pl.id}` },
      pipeline: { href: ref.url },
    },
    templateParameters: { ...b.templateParameters },
    pipeline: ref,
    state: runState(b),
    createdDate: b.queueTime.toISOString(),
    url: runUrl,
    resources: {
      repositories: {
        self: {
          repository: { id: b.repository.id, type: repositoryConfig(pl).type },
          refName: b.sourceBranch,
          version: b.sourceVersion,
        },
      },
      pipelines,
    },
    variables: variablesOut(b.variables),
    id: b.id,
    name: b.buildNumber,
  };
  if (b.status === 'completed') {
    shape.result = runResult(b.result ?? 'none');
    if (b.finishTime) shape.finishedDate = b.finishTime.toISOString();
  }
  return shape;
}

function releaseUrl(ctx: UrlContext, org: OrgState, p: ProjectState, releaseId: number): string {
  return `${vsrmUrl(ctx, org)}/${p.id}/_apis/Release/releases/${releaseId}`;
}

export function releaseDefinitionReference(
  ctx: UrlContext,
  org: OrgState,
  p: ProjectState,
  d: ReleaseDefinitionState,
): Shape {
  const url = `${vsrmUrl(ctx, org)}/${p.id}/_apis/Release/definitions/${d.id}`;
  return {
    id: d.id,
    name: d.name,
    path: '\\',
    projectReference: { id: p.id, name: p.name },
    url,
    _links: {
      self: { href: url },
      web: { href: `${projectWeb(ctx, org, p)}/_release?definitionId=${d.id}` },
    },
  };
}

function definitionVariables(d: ReleaseDefinitionState): Record<string, Shape> {
  const out: Record<string, Shape> = {};
  for (const [name, v] of d.variables) {
    putOwn(out, name, {
      ...(v.isSecret ? { isSecret: true } : { value: v.value }),
      ...(v.allowOverride ? { allowOverride: true } : {}),
    });
  }
  return out;
}

function buildArtifact(
  p: ProjectState,
  alias: string,
  pipeline: { id: number; name: string },
  isPrimary: boolean,
  version?: { id: string; name: string; branch: string },
): Shape {
  const definitionReference: Record<string, Shape> = {
    definition: { id: String(pipeline.id), name: pipeline.name },
    project: { id: p.id, name: p.name },
    defaultVersionType: { id: 'latestType', name: 'Latest' },
  };
  if (version) {
    definitionReference.version = { id: version.id, name: version.name };
    definitionReference.branch = { id: version.branch, name: version.branch };
  }
  return {
    sourceId: `${p.id}:${pipeline.id}`,
    type: 'Build',
    alias,
    definitionReference,
    isPrimary,
    isRetained: false,
  };
}

export function releaseDefinition(
  ctx: UrlContext,
  org: OrgState,
  p: ProjectState,
  d: ReleaseDefinitionState,
): Shape {
  return {
    ...releaseDefinitionReference(ctx, org, p, d),
    source: 'restApi',
    revision: 1,
    description: '',
    createdBy: identity(),
    createdOn: '2026-01-01T00:00:00.000Z',
    modifiedBy: identity(),
    modifiedOn: '2026-01-01T00:00:00.000Z',
    isDeleted: false,
    releaseNameFormat: 'Release-$(rev:r)',
    environments: d.environments.map((env, index) => ({
      id: env.id,
      name: env.name,
      rank: index + 1,
      owner: identity(),
      variables: {},
      variableGroups: [],
      conditions: [{ name: 'ReleaseStarted', conditionType: 'event', value: '' }],
      demands: [],
      deployPhases: [],
      schedules: [],
    })),
    artifacts: d.artifacts.map((a, index) =>
      buildArtifact(
        p,
        a.alias,
        { id: a.pipelineId, name: p.pipelines.get(a.pipelineId)?.name ?? '' },
        index === 0,
      ),
    ),
    variables: definitionVariables(d),
    variableGroups: [],
    triggers: [],
    tags: [],
    properties: {},
  };
}

function releaseReference(ctx: UrlContext, org: OrgState, p: ProjectState, r: ReleaseState): Shape {
  const url = releaseUrl(ctx, org, p, r.id);
  return {
    id: r.id,
    name: r.name,
    url,
    _links: {
      self: { href: url },
      web: {
        href: `${projectWeb(ctx, org, p)}/_releaseProgress?_a=release-pipeline-progress&releaseId=${r.id}`,
      },
    },
  };
}

/** A release environment (stage) with its deployment, as in a Release and in deployment events. */
export function releaseEnvironment(
  ctx: UrlContext,
  org: OrgState,
  p: ProjectState,
  d: ReleaseDefinitionState,
  r: ReleaseState,
  env: ReleaseEnvironmentState,
): Shape {
  const deployment = env.deployment;
  const shape: Shape = {
    id: env.id,
    releaseId: r.id,
    name: env.name,
    status: env.status,
    variables: {},
    variableGroups: [],
    preDeployApprovals: [],
    postDeployApprovals: [],
    preApprovalsSnapshot: {
      approvals: [],
      approvalOptions: { requiredApproverCount: 0, releaseCreatorCanBeApprover: true },
    },
    postApprovalsSnapshot: { approvals: [] },
    deploySteps: deployment
      ? [
          {
            id: deployment.id,
            deploymentId: deployment.id,
            attempt: 1,
            reason: 'automated',
            status: deployment.status,
            operationStatus:
              deployment.status === 'inProgress' ? 'phaseInProgress' : operationStatusOf(env.status),
            releaseDeployPhases: [],
            requestedBy: identity(),
            requestedFor: identity(),
            queuedOn: deployment.queuedOn.toISOString(),
            lastModifiedBy: identity(),
            lastModifiedOn: (deployment.completedOn ?? deployment.queuedOn).toISOString(),
            hasStarted: true,
          },
        ]
      : [],
    rank: env.rank,
    definitionEnvironmentId: env.definitionEnvironmentId,
    queueId: 1,
    environmentOptions: {
      emailNotificationType: 'OnlyOnFailure',
      emailRecipients: 'release.environment.owner;release.creator',
      skipArtifactsDownload: false,
      timeoutInMinutes: 0,
      enableAccessToken: false,
    },
    demands: [],
    conditions: [],
    createdOn: env.createdOn.toISOString(),
    modifiedOn: env.modifiedOn.toISOString(),
    workflowTasks: [],
    deployPhasesSnapshot: [],
    owner: { id: EMULATOR_USER.id, displayName: EMULATOR_USER.displayName },
    scheduledDeploymentTime: env.createdOn.toISOString(),
    schedules: [],
    release: releaseReference(ctx, org, p, r),
    releaseDefinition: releaseDefinitionReference(ctx, org, p, d),
    releaseCreatedBy: identity(),
    triggerReason: 'After release',
  };
  if (deployment?.completedOn)
    shape.timeToDeploy = (deployment.completedOn.getTime() - deployment.queuedOn.getTime()) / 60_000;
  return shape;
}

function operationStatusOf(status: ReleaseEnvironmentState['status']): string {
  switch (status) {
    case 'succeeded':
      return 'phaseSucceeded';
    case 'partiallySucceeded':
      return 'phasePartiallySucceeded';
    case 'canceled':
      return 'canceled';
    case 'rejected':
      return 'rejected';
    default:
      return 'phaseFailed';
  }
}

/** What a release response carries; the list leaves out what `$expand` does not ask for. */
export interface ReleaseParts {
  environments: boolean;
  artifacts: boolean;
}

export function release(
  ctx: UrlContext,
  org: OrgState,
  p: ProjectState,
  d: ReleaseDefinitionState,
  r: ReleaseState,
  parts: ReleaseParts = { environments: true, artifacts: true },
): Shape {
  const reference = releaseReference(ctx, org, p, r);
  return {
    id: r.id,
    name: r.name,
    status: r.isDraft ? 'draft' : 'active',
    createdOn: r.createdOn.toISOString(),
    modifiedOn: r.modifiedOn.toISOString(),
    modifiedBy: identity(),
    createdBy: identity(),
    createdFor: identity(),
    ...(parts.environments
      ? { environments: r.environments.map((env) => releaseEnvironment(ctx, org, p, d, r, env)) }
      : {}),
    variables: variablesOut(r.variables),
    variableGroups: [],
    ...(parts.artifacts
      ? {
          artifacts: r.artifacts.map((a, index) =>
            buildArtifact(p, a.alias, { id: a.pipelineId, name: a.pipelineName }, index === 0, {
              id: a.buildId,
              name: a.buildNumber,
              branch: a.sourceBranch,
            }),
          ),
        }
      : {}),
    releaseDefinition: releaseDefinitionReference(ctx, org, p, d),
    releaseDefinitionRevision: 1,
    description: r.description,
    reason: r.reason,
    releaseNameFormat: 'Release-$(rev:r)',
    keepForever: false,
    definitionSnapshotRevision: 1,
    logsContainerUrl: `${String(reference.url)}/logs`,
    url: reference.url,
    _links: reference._links,
    tags: [],
    triggeringArtifactAlias: r.artifacts[0]?.alias ?? '',
    projectReference: { id: p.id, name: p.name },
    properties: {},
  };
}

const ENVIRONMENT_STATUS_TEXT: Readonly<Record<string, string>> = {
  succeeded: 'Succeeded',
  partiallySucceeded: 'Partially Succeeded',
  rejected: 'Rejected',
  canceled: 'Canceled',
};

/** The `ms.vss-release.deployment-completed-event` notification (publisher `rm`, resourceVersion 3.0-preview.1). */
export function deploymentCompletedEvent(
  ctx: UrlContext,
  org: OrgState,
  p: ProjectState,
  d: ReleaseDefinitionState,
  r: ReleaseState,
  env: ReleaseEnvironmentState,
  s: SubscriptionState,
  notificationId: number,
  eventId: string,
  now: Date,
): Shape {
  const status = ENVIRONMENT_STATUS_TEXT[env.status] ?? env.status;
  const link = `${projectWeb(ctx, org, p)}/_releaseProgress?_a=release-environment-logs&releaseId=${r.id}&environmentId=${env.id}`;
  const minutes = env.deployment?.completedOn
    ? ((env.deployment.completedOn.getTime() - env.deployment.queuedOn.getTime()) / 60_000).toFixed(2)
    : '0.00';
  const text = `Deployment of release ${r.name} on environment ${env.name} ${status}.`;
  const html = `Deployment on environment <a href='${escapeHtml(link)}'>${escapeHtml(env.name)}</a> ${status}.`;
  const markdown = `Deployment on environment [${env.name}](${link}) ${status}.`;
  const more = ` Time to deploy: ${minutes} minutes.`;
  const messages = s.consumerInputs.messagesToSend ?? 'all';
  const detailed = s.consumerInputs.detailedMessagesToSend ?? 'all';
  return {
    subscriptionId: s.id,
    notificationId,
    id: eventId,
    eventType: 'ms.vss-release.deployment-completed-event',
    publisherId: 'rm',
    scope: 'all',
    ...(messages === 'none' ? {} : { message: { text, html, markdown } }),
    ...(detailed === 'none'
      ? {}
      : {
          detailedMessage: { text: `${text}${more}`, html: `${html}${more}`, markdown: `${markdown}${more}` },
        }),
    resource: {
      environment: releaseEnvironment(ctx, org, p, d, r, env),
      project: { id: p.id, name: p.name },
    },
    resourceVersion: '3.0-preview.1',
    resourceContainers: { collection: { id: org.id }, account: { id: org.id } },
    createdDate: now.toISOString(),
  };
}

const SECRET_CONSUMER_INPUTS = new Set(['basicAuthPassword']);

export function subscription(ctx: UrlContext, org: OrgState, s: SubscriptionState): Shape {
  const consumerInputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.consumerInputs)) {
    putOwn(consumerInputs, k, SECRET_CONSUMER_INPUTS.has(k) ? '********' : v);
  }
  return {
    id: s.id,
    url: `${orgUrl(ctx, org)}/_apis/hooks/subscriptions/${s.id}`,
    status: s.status,
    publisherId: s.publisherId,
    eventType: s.eventType,
    subscriber: null,
    resourceVersion: s.resourceVersion,
    eventDescription: describeEvent(s),
    consumerId: s.consumerId,
    consumerActionId: s.consumerActionId,
    actionDescription: `To host ${hostOf(s.consumerInputs.url ?? '')}`,
    probationRetries: 0,
    createdBy: identity(),
    createdDate: s.createdDate.toISOString(),
    modifiedBy: identity(),
    modifiedDate: s.modifiedDate.toISOString(),
    lastProbationRetryDate: null,
    publisherInputs: { ...s.publisherInputs, tfsSubscriptionId: stableGuid(`tfs-sub:${s.id}`) },
    consumerInputs,
    _links: {
      self: { href: `${orgUrl(ctx, org)}/_apis/hooks/subscriptions/${s.id}` },
      consumer: { href: `${orgUrl(ctx, org)}/_apis/hooks/consumers/${s.consumerId}` },
      actions: { href: `${orgUrl(ctx, org)}/_apis/hooks/consumers/${s.consumerId}/actions` },
      notifications: { href: `${orgUrl(ctx, org)}/_apis/hooks/subscriptions/${s.id}/notifications` },
      publisher: { href: `${orgUrl(ctx, org)}/_apis/hooks/publishers/${s.publisherId}` },
    },
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function describeEvent(s: SubscriptionState): string {
  const parts: string[] = [];
  if (s.publisherInputs.definitionName) parts.push(`Definition ${s.publisherInputs.definitionName}`);
  if (s.publisherInputs.buildStatus) parts.push(`status ${s.publisherInputs.buildStatus}`);
  return parts.length > 0 ? parts.join(', ') : 'Any completed build';
}

/** Service hook `buildStatus` filter value for a build result (canceled builds are "Stopped"). */
export function hookBuildStatus(result: BuildResultName | undefined): string {
  switch (result) {
    case 'succeeded':
      return 'Succeeded';
    case 'partiallySucceeded':
      return 'PartiallySucceeded';
    case 'failed':
      return 'Failed';
    case 'canceled':
      return 'Stopped';
    default:
      return '';
  }
}

function resultVerb(result: BuildResultName | undefined): string {
  switch (result) {
    case 'succeeded':
      return 'succeeded';
    case 'partiallySucceeded':
      return 'partially succeeded';
    case 'failed':
      return 'failed';
    case 'canceled':
      return 'was canceled';
    default:
      return 'completed';
  }
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** The `build.complete` notification body (service hook event, resourceVersion 2.0). */
export function buildCompleteEvent(
  ctx: UrlContext,
  org: OrgState,
  p: ProjectState,
  pl: PipelineState,
  b: BuildState,
  s: SubscriptionState,
  notificationId: number,
  eventId: string,
  now: Date,
): Shape {
  const resource = build(ctx, org, p, pl, b);
  const web = `${projectWeb(ctx, org, p)}/_build/results?buildId=${b.id}`;
  const verb = resultVerb(b.result);
  const title = `Build ${b.buildNumber}`;
  const message = {
    text: `${title} ${verb}`,
    html: `Build <a href="${escapeHtml(web)}">${escapeHtml(b.buildNumber)}</a> ${verb}`,
    markdown: `Build [${b.buildNumber}](${web}) ${verb}`,
  };
  const started = b.startTime ?? b.queueTime;
  const finished = b.finishTime ?? now;
  const seconds = Math.max(0, Math.round((finished.getTime() - started.getTime()) / 1000));
  const details = `\r\n\r\n- Pipeline: ${pl.name}\r\n- Branch: ${b.sourceBranch}\r\n- Commit: ${b.sourceVersion}\r\n- Ran for ${seconds} seconds`;
  const base = orgUrl(ctx, org);
  const event: Shape = {
    subscriptionId: s.id,
    notificationId,
    id: eventId,
    eventType: 'build.complete',
    publisherId: 'tfs',
    resourceVersion: '2.0',
    resourceContainers: {
      collection: { id: org.id, baseUrl: `${base}/` },
      account: { id: org.id, baseUrl: `${base}/` },
      project: { id: p.id, baseUrl: `${base}/` },
    },
    createdDate: now.toISOString(),
  };
  const messages = s.consumerInputs.messagesToSend ?? 'all';
  const detailed = s.consumerInputs.detailedMessagesToSend ?? 'all';
  const resourceDetails = s.consumerInputs.resourceDetailsToSend ?? 'all';
  if (messages !== 'none') event.message = message;
  if (detailed !== 'none') {
    event.detailedMessage = {
      text: `${message.text}${details}`,
      html: `${message.html}<ul>${details
        .split('\r\n- ')
        .slice(1)
        .map((line) => `<li>${escapeHtml(line)}</li>`)
        .join('')}</ul>`,
      markdown: `${message.markdown}${details}`,
    };
  }
  if (resourceDetails === 'all') event.resource = resource;
  else if (resourceDetails === 'minimal') event.resource = { id: b.id, url: resource.url };
  return event;
}

export function connectionData(ctx: UrlContext, org: OrgState): Shape {
  const user = {
    id: EMULATOR_USER.id,
    descriptor: 'Microsoft.IdentityModel.Claims.ClaimsIdentity;emulator',
    subjectDescriptor: EMULATOR_USER.descriptor,
    providerDisplayName: EMULATOR_USER.displayName,
    isActive: true,
    properties: {},
    resourceVersion: 2,
    metaTypeId: 0,
  };
  return {
    authenticatedUser: user,
    authorizedUser: user,
    instanceId: org.id,
    deploymentId: stableGuid('deployment:ado-emulator'),
    deploymentType: 'hosted',
    locationServiceData: {
      serviceOwner: '00025394-6065-48ca-87d9-7f5672854ef7',
      defaultAccessMappingMoniker: 'PublicAccessMapping',
      lastChangeId: 1,
      lastChangeId64: 1,
      accessMappings: [
        {
          displayName: 'Public Access Mapping',
          moniker: 'PublicAccessMapping',
          accessPoint: `${orgUrl(ctx, org)}/`,
        },
      ],
    },
  };
}
