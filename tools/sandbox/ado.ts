/**
 * The few Azure DevOps calls the sandbox and the demo make against the emulator: through its
 * REST API (with the PAT, as any client would) and its control API (`/_emulator/...`).
 */
import {
  arrayAt,
  isRecord,
  jsonText,
  numberAt,
  objectAt,
  readJson,
  stringAt,
  stringRecordAt,
  type JsonObject,
} from '../json.js';

export interface AdoTarget {
  /** The emulator's base URL, e.g. http://127.0.0.1:8090 */
  readonly baseUrl: string;
  readonly org: string;
  readonly project: string;
  readonly pat: string;
}

export interface BuildInfo {
  readonly id: number;
  readonly buildNumber: string;
  readonly definitionId: number;
  readonly status: string;
  readonly result: string | undefined;
  readonly sourceBranch: string;
  readonly sourceVersion: string;
  readonly queueTime: string;
  readonly templateParameters: Readonly<Record<string, string>>;
}

export interface RunInfo {
  readonly id: number;
  readonly state: string;
  readonly result: string | undefined;
  readonly templateParameters: Readonly<Record<string, string>>;
  /** `resources.pipelines.<alias>.runId` */
  readonly pipelineResources: Readonly<Record<string, number>>;
}

export function orgUrl(target: AdoTarget): string {
  return `${target.baseUrl}/${encodeURIComponent(target.org)}`;
}

function projectUrl(target: AdoTarget): string {
  return `${orgUrl(target)}/${encodeURIComponent(target.project)}`;
}

function authorization(target: AdoTarget): string {
  return `Basic ${Buffer.from(`:${target.pat}`).toString('base64')}`;
}

async function call(
  target: AdoTarget,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: authorization(target),
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await readJson(response) };
}

function describe(body: unknown): string {
  return stringAt(body, 'message') ?? jsonText(body);
}

function buildInfo(value: unknown): BuildInfo | undefined {
  const id = numberAt(value, 'id');
  const definitionId = numberAt(objectAt(value, 'definition'), 'id');
  if (id === undefined || definitionId === undefined) return undefined;
  return {
    id,
    buildNumber: stringAt(value, 'buildNumber') ?? '',
    definitionId,
    status: stringAt(value, 'status') ?? '',
    result: stringAt(value, 'result'),
    sourceBranch: stringAt(value, 'sourceBranch') ?? '',
    sourceVersion: stringAt(value, 'sourceVersion') ?? '',
    queueTime: stringAt(value, 'queueTime') ?? '',
    templateParameters: stringRecordAt(value, 'templateParameters'),
  };
}

/** Builds of the project (runs of every pipeline are builds), optionally of one pipeline. */
export async function listBuilds(target: AdoTarget, definitionId?: number): Promise<readonly BuildInfo[]> {
  const query = definitionId === undefined ? '' : `&definitions=${definitionId}`;
  const response = await call(
    target,
    'GET',
    `${projectUrl(target)}/_apis/build/builds?api-version=7.1${query}`,
  );
  if (response.status !== 200)
    throw new Error(`Listing builds failed: ${response.status} ${describe(response.body)}`);
  return (arrayAt(response.body, 'value') ?? []).flatMap((item) => {
    const info = buildInfo(item);
    return info === undefined ? [] : [info];
  });
}

export async function getBuild(target: AdoTarget, buildId: number): Promise<BuildInfo | undefined> {
  const response = await call(
    target,
    'GET',
    `${projectUrl(target)}/_apis/build/builds/${buildId}?api-version=7.1`,
  );
  if (response.status === 404) return undefined;
  if (response.status !== 200)
    throw new Error(`Reading build ${buildId} failed: ${response.status} ${describe(response.body)}`);
  return buildInfo(response.body);
}

export async function getRun(
  target: AdoTarget,
  pipelineId: number,
  runId: number,
): Promise<RunInfo | undefined> {
  const response = await call(
    target,
    'GET',
    `${projectUrl(target)}/_apis/pipelines/${pipelineId}/runs/${runId}?api-version=7.1`,
  );
  if (response.status === 404) return undefined;
  if (response.status !== 200)
    throw new Error(
      `Reading run ${runId} of pipeline ${pipelineId} failed: ${response.status} ${describe(response.body)}`,
    );
  const id = numberAt(response.body, 'id');
  if (id === undefined) return undefined;
  const pipelines = objectAt(objectAt(response.body, 'resources'), 'pipelines') ?? {};
  const pipelineResources: Record<string, number> = {};
  for (const [alias, resource] of Object.entries(pipelines)) {
    const runIdOf = numberAt(resource, 'runId');
    if (runIdOf !== undefined) pipelineResources[alias] = runIdOf;
  }
  return {
    id,
    state: stringAt(response.body, 'state') ?? '',
    result: stringAt(response.body, 'result'),
    templateParameters: stringRecordAt(response.body, 'templateParameters'),
    pipelineResources,
  };
}

/** A classic release (Release Management API on the vsrm host). */
export async function getClassicRelease(
  target: AdoTarget,
  releaseId: number,
): Promise<{ readonly id: number; readonly name: string; readonly buildIds: readonly string[] } | undefined> {
  const response = await call(
    target,
    'GET',
    `${target.baseUrl}/vsrm/${encodeURIComponent(target.org)}/${encodeURIComponent(target.project)}/_apis/Release/releases/${releaseId}?api-version=7.1`,
  );
  if (response.status === 404) return undefined;
  if (response.status !== 200)
    throw new Error(`Reading release ${releaseId} failed: ${response.status} ${describe(response.body)}`);
  const id = numberAt(response.body, 'id');
  if (id === undefined) return undefined;
  const buildIds = (arrayAt(response.body, 'artifacts') ?? []).flatMap((artifact) => {
    const version = objectAt(objectAt(artifact, 'definitionReference'), 'version');
    const versionId = stringAt(version, 'id');
    return versionId === undefined ? [] : [versionId];
  });
  return { id, name: stringAt(response.body, 'name') ?? '', buildIds };
}

/** Completes a build as its agent would (control API): fires build.complete to subscribers. */
export async function completeBuild(
  target: AdoTarget,
  buildId: number,
  result: 'succeeded' | 'partiallySucceeded' | 'failed' | 'canceled',
): Promise<void> {
  const response = await fetch(`${target.baseUrl}/_emulator/builds/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org: target.org, buildId, result }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await readJson(response);
  if (response.status !== 200)
    throw new Error(`Completing build ${buildId} failed: ${response.status} ${describe(body)}`);
}

export interface HookDeliveryInfo {
  readonly subscriptionId: string;
  readonly url: string;
  readonly eventType: string;
  readonly status: number | 'error';
  readonly attempt: number;
  readonly resourceId: number | undefined;
}

/** Service-hook deliveries the emulator made (control API), in order. */
export async function hookDeliveries(target: AdoTarget): Promise<readonly HookDeliveryInfo[]> {
  const response = await fetch(`${target.baseUrl}/_emulator/deliveries`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = await readJson(response);
  if (response.status !== 200) throw new Error(`Reading hook deliveries failed: ${response.status}`);
  return (arrayAt(body, 'value') ?? []).filter(isRecord).map((item: JsonObject) => {
    const status = item.status;
    return {
      subscriptionId: stringAt(item, 'subscriptionId') ?? '',
      url: stringAt(item, 'url') ?? '',
      eventType: stringAt(item, 'eventType') ?? '',
      status: typeof status === 'number' ? status : 'error',
      attempt: numberAt(item, 'attempt') ?? 0,
      resourceId: numberAt(item, 'resourceId'),
    };
  });
}

export interface HookSubscription {
  /** The app's service-hook endpoint, e.g. http://127.0.0.1:7071/api/devops/service-hook */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** `build.complete` of one pipeline (by name), or `ms.vss-release.deployment-completed-event` of one definition. */
  readonly event:
    | { readonly kind: 'build.complete'; readonly definitionName: string }
    | { readonly kind: 'deployment-completed'; readonly releaseDefinitionId: number };
}

/**
 * Creates a web hook as an operator does in Project settings → Service hooks, through the
 * real subscriptions REST API. Returns the subscription id.
 */
export async function subscribe(target: AdoTarget, subscription: HookSubscription): Promise<string> {
  const { event } = subscription;
  const publisher =
    event.kind === 'build.complete'
      ? {
          publisherId: 'tfs',
          eventType: 'build.complete',
          resourceVersion: '2.0',
          inputs: { definitionName: event.definitionName },
        }
      : {
          publisherId: 'rm',
          eventType: 'ms.vss-release.deployment-completed-event',
          resourceVersion: '3.0-preview.1',
          inputs: { releaseDefinitionId: String(event.releaseDefinitionId) },
        };
  const response = await call(target, 'POST', `${orgUrl(target)}/_apis/hooks/subscriptions?api-version=7.1`, {
    publisherId: publisher.publisherId,
    eventType: publisher.eventType,
    resourceVersion: publisher.resourceVersion,
    consumerId: 'webHooks',
    consumerActionId: 'httpRequest',
    publisherInputs: { projectId: target.project, ...publisher.inputs },
    consumerInputs: {
      url: subscription.url,
      basicAuthUsername: subscription.username,
      basicAuthPassword: subscription.password,
    },
  });
  const id = stringAt(response.body, 'id');
  if (response.status !== 200 || id === undefined)
    throw new Error(
      `Creating the ${publisher.eventType} subscription failed: ${response.status} ${describe(response.body)}`,
    );
  return id;
}

/** Finishes a classic release's deployment (control API): fires ms.vss-release.deployment-completed-event. */
export async function completeRelease(
  target: AdoTarget,
  releaseId: number,
  status: 'succeeded' | 'rejected' | 'canceled' | 'partiallySucceeded',
): Promise<void> {
  const response = await fetch(`${target.baseUrl}/_emulator/releases/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org: target.org, releaseId, status }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 200)
    throw new Error(
      `Completing release ${releaseId} failed: ${response.status} ${describe(await readJson(response))}`,
    );
}
