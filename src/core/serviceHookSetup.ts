/**
 * The service-hook subscriptions the app needs, and how existing ones compare with them: the
 * operator's `setup` creates or updates them from this, and `doctor` checks them against it.
 */
import { BUILD_COMPLETE, DEPLOYMENT_COMPLETED } from './serviceHook.js';

/** Where Azure DevOps posts notifications: the app's `serviceHook` function. */
export const SERVICE_HOOK_ROUTE = '/api/devops/service-hook';

/** The resource versions whose payloads the app reads (`parseServiceHookNotification`). */
export const RESOURCE_VERSIONS = {
  [BUILD_COMPLETE]: '2.0',
  // The only version the docs publish for this event (its sample payload).
  [DEPLOYMENT_COMPLETED]: '3.0-preview.1',
} as const;

export const WEB_HOOKS = { consumerId: 'webHooks', consumerActionId: 'httpRequest' } as const;

/** A subscription the app needs, by what it listens to. */
export interface WantedSubscription {
  /** For people: e.g. `build.complete of ai-app-build`. */
  readonly title: string;
  readonly publisherId: 'tfs' | 'rm';
  readonly eventType: typeof BUILD_COMPLETE | typeof DEPLOYMENT_COMPLETED;
  readonly resourceVersion: string;
  /** `projectId` and the filter (`definitionName` or `releaseDefinitionId`). */
  readonly publisherInputs: Readonly<Record<string, string>>;
  readonly consumerInputs: {
    readonly url: string;
    readonly basicAuthUsername: string;
    readonly basicAuthPassword: string;
  };
}

/** What a subscription looks like when listed (the password comes back masked). */
export interface ListedSubscription {
  readonly id: string;
  readonly status: string;
  readonly publisherId: string;
  readonly eventType: string;
  readonly resourceVersion: string;
  readonly consumerId: string;
  readonly consumerActionId: string;
  readonly publisherInputs: Readonly<Record<string, string>>;
  readonly consumerInputs: Readonly<Record<string, string>>;
}

export interface SetupTarget {
  /** The app's base URL, e.g. https://func-ai-app.azurewebsites.net */
  readonly appUrl: string;
  /** The project as subscriptions name it (its id when known, else its name) and its name. */
  readonly project: { readonly id: string; readonly name: string };
  readonly buildPipelineName: string;
  readonly release:
    | { readonly mode: 'pipeline'; readonly pipelineName: string }
    | { readonly mode: 'classic'; readonly definitionId: number };
  readonly username: string;
  readonly password: string;
}

/** `https://app/` or `https://app/api/devops/service-hook` → the service-hook URL; `undefined` if not http(s). */
export function serviceHookUrl(appUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(appUrl);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '')
    return undefined;
  const base = url.href.replace(/\/+$/, '');
  return base.endsWith(SERVICE_HOOK_ROUTE) ? base : `${base}${SERVICE_HOOK_ROUTE}`;
}

/**
 * The subscriptions the app needs: `build.complete` of the build pipeline (builds start
 * releases), and what finishes a release — `build.complete` of the deploy pipeline, or a
 * classic release's `deployment-completed` event.
 */
export function wantedSubscriptions(target: SetupTarget): readonly WantedSubscription[] {
  const url = serviceHookUrl(target.appUrl) ?? target.appUrl;
  const consumerInputs = {
    url,
    basicAuthUsername: target.username,
    basicAuthPassword: target.password,
  };
  const buildComplete = (definitionName: string): WantedSubscription => ({
    title: `${BUILD_COMPLETE} of ${definitionName}`,
    publisherId: 'tfs',
    eventType: BUILD_COMPLETE,
    resourceVersion: RESOURCE_VERSIONS[BUILD_COMPLETE],
    publisherInputs: { projectId: target.project.id, definitionName },
    consumerInputs,
  });
  const finishing: WantedSubscription =
    target.release.mode === 'pipeline'
      ? buildComplete(target.release.pipelineName)
      : {
          title: `${DEPLOYMENT_COMPLETED} of release definition ${target.release.definitionId}`,
          publisherId: 'rm',
          eventType: DEPLOYMENT_COMPLETED,
          resourceVersion: RESOURCE_VERSIONS[DEPLOYMENT_COMPLETED],
          publisherInputs: {
            projectId: target.project.id,
            releaseDefinitionId: String(target.release.definitionId),
          },
          consumerInputs,
        };
  return [buildComplete(target.buildPipelineName), finishing];
}

/**
 * Whether a listed subscription is one for `wanted`: same event, our consumer, the same filter in
 * our project, and posting to the same URL (`anyApp`: to any app's service-hook route).
 */
export function isSubscriptionFor(
  listed: ListedSubscription,
  wanted: WantedSubscription,
  project: { readonly id: string; readonly name: string },
  options: { readonly anyApp?: boolean } = {},
): boolean {
  const inputs = listed.publisherInputs;
  const projectId = (inputs.projectId ?? '').toLowerCase();
  const sameFilter =
    wanted.eventType === BUILD_COMPLETE
      ? (inputs.definitionName ?? '').toLowerCase() ===
        (wanted.publisherInputs.definitionName ?? '').toLowerCase()
      : (inputs.releaseDefinitionId ?? '') === wanted.publisherInputs.releaseDefinitionId;
  const url = listed.consumerInputs.url ?? '';
  const sameUrl =
    options.anyApp === true
      ? (serviceHookUrl(url) ?? '') === url.replace(/\/+$/, '')
      : url.replace(/\/+$/, '') === wanted.consumerInputs.url;
  return (
    listed.publisherId === wanted.publisherId &&
    listed.eventType === wanted.eventType &&
    listed.consumerId === WEB_HOOKS.consumerId &&
    listed.consumerActionId === WEB_HOOKS.consumerActionId &&
    (projectId === project.id.toLowerCase() || projectId === project.name.toLowerCase()) &&
    sameFilter &&
    sameUrl
  );
}

/** What differs between a listed subscription and the wanted one (the password cannot be read back). */
export function subscriptionChanges(
  listed: ListedSubscription,
  wanted: WantedSubscription,
): readonly string[] {
  const changes: string[] = [];
  if (listed.status !== 'enabled') changes.push(`status ${listed.status} → enabled`);
  if (listed.resourceVersion !== wanted.resourceVersion)
    changes.push(`resourceVersion ${listed.resourceVersion || '(none)'} → ${wanted.resourceVersion}`);
  if ((listed.consumerInputs.basicAuthUsername ?? '') !== wanted.consumerInputs.basicAuthUsername)
    changes.push('basicAuthUsername');
  if ((listed.consumerInputs.basicAuthPassword ?? '') === '') changes.push('basicAuthPassword (none set)');
  return changes;
}

export type SubscriptionPlan =
  | { readonly kind: 'create'; readonly wanted: WantedSubscription }
  | {
      readonly kind: 'update';
      readonly wanted: WantedSubscription;
      readonly existing: ListedSubscription;
      readonly changes: readonly string[];
    }
  | {
      readonly kind: 'unchanged';
      readonly wanted: WantedSubscription;
      readonly existing: ListedSubscription;
    };

/**
 * Per wanted subscription: create it, update the one there (what differs; with `updatePassword`,
 * the password too, which cannot be compared), or leave it. Of several for the same thing, the
 * enabled one is kept; the others are named, never deleted.
 */
export function planSubscriptions(
  listed: readonly ListedSubscription[],
  wanted: readonly WantedSubscription[],
  project: { readonly id: string; readonly name: string },
  options: { readonly updatePassword?: boolean } = {},
): readonly (SubscriptionPlan & { readonly duplicates: readonly ListedSubscription[] })[] {
  return wanted.map((want) => {
    const matching = listed
      .filter((item) => isSubscriptionFor(item, want, project))
      .sort((a, b) => Number(b.status === 'enabled') - Number(a.status === 'enabled'));
    const [existing, ...duplicates] = matching;
    if (existing === undefined) return { kind: 'create', wanted: want, duplicates };
    const changes = [
      ...subscriptionChanges(existing, want),
      ...(options.updatePassword === true ? ['basicAuthPassword (as asked)'] : []),
    ];
    return changes.length === 0
      ? { kind: 'unchanged', wanted: want, existing, duplicates }
      : { kind: 'update', wanted: want, existing, changes, duplicates };
  });
}

/** The request that creates, or replaces an existing subscription with, the wanted one (enabled). */
export function subscriptionRequest(wanted: WantedSubscription, existing?: ListedSubscription) {
  // Inputs someone added (HTTP headers, resource details) are kept; ours win.
  const { basicAuthPassword: _masked, ...otherConsumerInputs } = existing?.consumerInputs ?? {};
  return {
    publisherId: wanted.publisherId,
    eventType: wanted.eventType,
    resourceVersion: wanted.resourceVersion,
    ...WEB_HOOKS,
    publisherInputs: { ...withoutSystemInputs(existing?.publisherInputs ?? {}), ...wanted.publisherInputs },
    consumerInputs: { ...otherConsumerInputs, ...wanted.consumerInputs },
    status: 'enabled',
  } as const;
}

/** Inputs the service adds itself (e.g. `tfsSubscriptionId`) are not sent back. */
function withoutSystemInputs(inputs: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const { tfsSubscriptionId: _system, ...rest } = inputs;
  return rest;
}

/** Is a subscription delivering? If not, why, and how to bring it back. */
export function subscriptionHealth(
  status: string,
): { readonly ok: true } | { readonly ok: false; readonly problem: string; readonly fix: string } {
  const reEnable =
    'fix the cause, then re-enable it: `ai-app-cicd setup --app-url <url>` (or Project settings → Service hooks → the subscription → Enable)';
  switch (status) {
    case 'enabled':
      return { ok: true };
    case 'onProbation':
      return {
        ok: false,
        problem: 'on probation: recent deliveries failed, Azure DevOps retries less and less often',
        fix: `check the app answers (doctor --app-url), then ${reEnable}`,
      };
    case 'disabledBySystem':
      return {
        ok: false,
        problem: 'disabled by Azure DevOps after repeated failed deliveries',
        fix: `check the app answers (doctor --app-url) and its credentials; ${reEnable}`,
      };
    case 'disabledByInactiveIdentity':
      return {
        ok: false,
        problem: 'disabled: its owner is inactive or lost permissions',
        fix: `recreate it as an active identity with permission to manage service hooks: ${reEnable}`,
      };
    case 'disabledByUser':
      return { ok: false, problem: 'disabled by a user', fix: reEnable };
    default:
      return { ok: false, problem: `status ${status || '(none)'}`, fix: reEnable };
  }
}
