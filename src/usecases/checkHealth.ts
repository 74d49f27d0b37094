/**
 * The operator's `doctor`: is everything the app depends on there and as it should be? Each
 * check is one step, passed or failed with the fix; nothing is changed.
 */
import {
  isSubscriptionFor,
  SERVICE_HOOK_ROUTE,
  serviceHookUrl,
  subscriptionHealth,
  wantedSubscriptions,
} from '../core/serviceHookSetup.js';
import { describeError } from '../errors.js';
import type { AppProbe } from '../ports/appProbe.js';
import {
  attempt,
  devOpsFailure,
  failed,
  listSubscriptionsOf,
  previewPipelines,
  resolveDevOps,
  type OperatorDeps,
  type Step,
} from './setUp.js';

export interface CheckDeps extends OperatorDeps {
  readonly probe: AppProbe;
  /** The poison queue: messages there gave up and wait for a replay. */
  readonly poisonQueue: string;
}

export async function checkHealth(
  deps: CheckDeps,
  request: { readonly appUrl?: string },
): Promise<readonly Step[]> {
  const hookUrl = request.appUrl === undefined ? undefined : serviceHookUrl(request.appUrl);
  if (request.appUrl !== undefined && hookUrl === undefined)
    return [
      failed(
        'app URL',
        `${request.appUrl} is not an http(s) URL`,
        'pass the app’s base URL, e.g. https://<app>.azurewebsites.net',
      ),
    ];
  const steps: Step[] = [...(await checkStorage(deps))];
  const devops = await resolveDevOps(deps);
  steps.push(...devops.steps);
  const target = devops.target;
  if (target === undefined) {
    steps.push({
      name: 'pipelines and service hooks',
      status: 'skipped',
      detail: 'not checked: Azure DevOps and the pipelines above must be found first',
    });
  } else {
    steps.push(...(await previewPipelines(deps)));
    const wanted = wantedSubscriptions({
      ...target,
      appUrl: hookUrl ?? 'https://app.invalid',
      username: deps.config.serviceHook.username,
      password: deps.config.serviceHook.password,
    });
    let listed;
    try {
      listed = await listSubscriptionsOf(deps.hooks, wanted);
    } catch (error) {
      listed = undefined;
      steps.push(devOpsFailure('service hooks', error, deps.config));
    }
    for (const want of listed === undefined ? [] : wanted) {
      const name = `service hook ${want.title}`;
      const matching = (listed ?? []).filter((item) =>
        isSubscriptionFor(item, want, target.project, { anyApp: hookUrl === undefined }),
      );
      const where = hookUrl ?? `the app's ${SERVICE_HOOK_ROUTE}`;
      const setupFix = `ai-app-cicd setup --app-url ${request.appUrl ?? '<app url>'}`;
      if (matching.length === 0) {
        steps.push(failed(name, `no subscription posts it to ${where}`, `create it: ${setupFix}`));
        continue;
      }
      const enabled = matching.filter((item) => item.status === 'enabled');
      const first = enabled[0] ?? matching[0];
      if (first === undefined) continue;
      const health = subscriptionHealth(first.status);
      const url = first.consumerInputs.url ?? '';
      const username = first.consumerInputs.basicAuthUsername ?? '';
      if (!health.ok) {
        steps.push(failed(name, `subscription ${first.id} → ${url}: ${health.problem}`, health.fix));
      } else if (username !== deps.config.serviceHook.username) {
        steps.push(
          failed(
            name,
            `subscription ${first.id} sends user "${username}", the app expects "${deps.config.serviceHook.username}"`,
            `update it: ${setupFix}`,
          ),
        );
      } else {
        const more = matching.length > 1 ? ` (${matching.length - 1} more for the same target)` : '';
        steps.push({ name, status: 'ok', detail: `subscription ${first.id} → ${url}, enabled${more}` });
      }
    }
  }
  if (hookUrl !== undefined) steps.push(await checkApp(deps, hookUrl));
  return steps;
}

async function checkStorage(deps: CheckDeps): Promise<Step[]> {
  const { modelsContainer, ledgerContainer } = deps.config.storage;
  const steps: Step[] = [];
  for (const container of [modelsContainer, ledgerContainer]) {
    const name = `container ${container}`;
    try {
      steps.push(
        (await deps.storage.containerExists(container))
          ? { name, status: 'ok', detail: `present at ${deps.storage.blobEndpoint}` }
          : failed(
              name,
              `missing at ${deps.storage.blobEndpoint}`,
              'create it: ai-app-cicd setup --app-url <app url>',
            ),
      );
    } catch (error) {
      steps.push(
        failed(
          'storage',
          `${deps.storage.blobEndpoint} unreachable: ${describeError(error)}`,
          'check AzureWebJobsStorage (or its __accountName/__blobServiceUri settings) and that this identity may read it (Storage Blob Data Reader or more)',
        ),
      );
      return steps;
    }
  }
  for (const queue of deps.queues) {
    const name = `queue ${queue}`;
    steps.push(
      await attempt(name, async () => {
        const state = await deps.storage.queue(queue);
        if (!state.exists)
          return { name, status: 'ok', detail: 'not created yet: the app creates it on first use' };
        if (queue === deps.poisonQueue && state.messages > 0)
          return failed(
            name,
            `${state.messages} message(s) gave up after their last delivery`,
            'see the failed flows (`ai-app-cicd flows`, lastError), fix the cause, then `ai-app-cicd replay-poison`',
          );
        return { name, status: 'ok', detail: `${state.messages} message(s) waiting` };
      }),
    );
  }
  return steps;
}

async function checkApp(deps: CheckDeps, hookUrl: string): Promise<Step> {
  const name = 'app';
  const answer = await deps.probe.pingServiceHook(hookUrl, deps.config.serviceHook);
  if ('error' in answer)
    return failed(
      name,
      `${hookUrl} unreachable: ${answer.error}`,
      'check --app-url, that the app is deployed and running, and the network',
    );
  switch (answer.status) {
    case 200:
    case 202:
      return { name, status: 'ok', detail: `${hookUrl} answers and accepts the service-hook credentials` };
    case 401:
      return failed(
        name,
        `${hookUrl} refused the service-hook credentials (401)`,
        "the app's SERVICE_HOOK_USERNAME / SERVICE_HOOK_PASSWORD differ from these settings: use the app's (Key Vault secret service-hook-password), then `ai-app-cicd setup --app-url … --update-password`",
      );
    case 404:
      return failed(
        name,
        `${hookUrl} answered 404`,
        'check --app-url: the app’s base URL, with its functions deployed (`azd deploy`)',
      );
    default:
      return failed(
        name,
        `${hookUrl} answered ${answer.status}`,
        "check the app's logs (Application Insights) and that it runs",
      );
  }
}
