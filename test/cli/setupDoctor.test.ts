/**
 * `setup` and `doctor` as child processes against the sandbox: setup creates what is missing
 * once (a second run creates nothing and says so), doctor is green on what setup made and red —
 * non-zero, the failing line naming the fix — when something is wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRecord, stringAt, type JsonObject } from '../../tools/json.js';
import type { Sandbox } from '../../tools/sandbox/sandbox.js';
import { ado, cliEnv, emulatorRequests, jsonOf, quietSandbox, runCli, subscriptions } from './support.js';

let sandbox: Sandbox;
let appUrl: string;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  sandbox = await quietSandbox();
  appUrl = sandbox.urls.host;
  // Start from an organisation without subscriptions (the sandbox made its own): setup makes them.
  await fetch(`${sandbox.urls.emulatorControl}/reset`, { method: 'POST' });
}, 60_000);

afterAll(async () => {
  await sandbox.stop();
});

function failedLines(stdout: string): readonly string[] {
  return stdout.split('\n').filter((line) => line.startsWith('✗'));
}

function inputs(subscription: JsonObject, key: 'publisherInputs' | 'consumerInputs'): JsonObject {
  const value = subscription[key];
  return isRecord(value) ? value : {};
}

describe('setup', () => {
  it('creates the containers, queues and subscriptions; a second run creates nothing and says so', async () => {
    const env = cliEnv(sandbox, { LEDGER_CONTAINER: 'setup-ledger' });
    const first = await runCli(['setup', '--app-url', appUrl, '--json'], { env });
    expect(first.code, first.stderr).toBe(0);
    const result = jsonOf(first);
    expect(result).toMatchObject({ ok: true, created: 3, updated: 0, failed: 0 });
    expect(result.steps).toContainEqual(
      expect.objectContaining({ name: 'container setup-ledger', status: 'created' }),
    );

    const made = await subscriptions(sandbox);
    expect(made).toHaveLength(2);
    for (const subscription of made) {
      expect(subscription).toMatchObject({
        publisherId: 'tfs',
        eventType: 'build.complete',
        resourceVersion: '2.0',
        consumerId: 'webHooks',
        consumerActionId: 'httpRequest',
        status: 'enabled',
      });
      expect(inputs(subscription, 'consumerInputs')).toMatchObject({
        url: `${appUrl}/api/devops/service-hook`,
        basicAuthUsername: sandbox.secrets.serviceHookUsername,
      });
      // Subscriptions name the project by id, as Azure DevOps stores it.
      expect(stringAt(inputs(subscription, 'publisherInputs'), 'projectId')).toMatch(GUID);
    }
    expect(made.map((subscription) => inputs(subscription, 'publisherInputs').definitionName).sort()).toEqual(
      ['ai-app-build', 'ai-app-deploy'],
    );

    const before = (await emulatorRequests(sandbox)).length;
    const second = await runCli(['setup', '--app-url', appUrl], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('nothing to create: everything was set up already');
    expect(second.stdout).not.toMatch(/created:|updated:/);
    const during = (await emulatorRequests(sandbox)).slice(before);
    expect(
      during.filter((request) => request.method !== 'GET' && request.method !== 'OPTIONS').map((r) => r.path),
    ).toEqual([
      // Only the preview runs (which create nothing) write: two builds, one deploy.
      expect.stringMatching(/\/pipelines\/1\/runs$/),
      expect.stringMatching(/\/pipelines\/1\/runs$/),
      expect.stringMatching(/\/pipelines\/2\/runs$/),
    ]);
    expect((await subscriptions(sandbox)).map((subscription) => subscription.id)).toEqual(
      made.map((subscription) => subscription.id),
    );
  });

  it('in classic mode subscribes to the release definition’s deployment-completed event', async () => {
    const result = await runCli(['setup', '--app-url', appUrl, '--json'], {
      env: cliEnv(sandbox, { RELEASE_MODE: 'classic' }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(jsonOf(result)).toMatchObject({ created: 1, updated: 0 });
    const rm = (await subscriptions(sandbox)).filter((subscription) => subscription.publisherId === 'rm');
    expect(rm).toHaveLength(1);
    expect(rm[0]).toMatchObject({
      eventType: 'ms.vss-release.deployment-completed-event',
      resourceVersion: '3.0-preview.1',
      publisherInputs: expect.objectContaining({
        releaseDefinitionId: String(sandbox.knobs.releaseDefinitionId),
      }),
    });
  });
});

describe('doctor', () => {
  it('is green on the sandbox that setup set up', async () => {
    const result = await runCli(['doctor', '--app-url', appUrl], { env: cliEnv(sandbox) });
    expect(result.code, result.stdout).toBe(0);
    expect(failedLines(result.stdout)).toEqual([]);
    for (const check of [
      'settings',
      'container models',
      'Azure DevOps',
      'build pipeline accepts model builds',
      'deploy pipeline accepts releases',
      'service hook build.complete of ai-app-build',
      'app',
    ])
      expect(result.stdout).toMatch(new RegExp(`^✓ ${check}:`, 'm'));
    expect(result.stdout).toContain('all checks passed');
  });

  it('is red with a wrong PAT, and the failing line says how to fix it', async () => {
    const result = await runCli(['doctor'], { env: cliEnv(sandbox, { AZURE_DEVOPS_PAT: 'not-the-pat' }) });
    expect(result.code).toBe(1);
    const [line, ...others] = failedLines(result.stdout);
    expect(others).toEqual([]);
    expect(line).toMatch(/^✗ Azure DevOps: .*\(401\).* — fix: AZURE_DEVOPS_PAT is wrong or expired/);
    expect(result.stderr).toMatch(/^ai-app-cicd: 1 check\(s\) failed: Azure DevOps\n$/);
  });

  it('is red when a container is missing, and says setup creates it', async () => {
    const result = await runCli(['doctor', '--json'], {
      env: cliEnv(sandbox, { LEDGER_CONTAINER: 'never-created' }),
    });
    expect(result.code).toBe(1);
    expect(jsonOf(result).steps).toContainEqual({
      name: 'container never-created',
      status: 'failed',
      detail: expect.stringContaining('missing'),
      fix: 'create it: ai-app-cicd setup --app-url <app url>',
    });
  });

  it('is red when the build pipeline would refuse the app’s parameters (preview run)', async () => {
    // The deploy pipeline as the build pipeline: it declares none of the build's parameters.
    const result = await runCli(['doctor'], { env: cliEnv(sandbox, { BUILD_PIPELINE_ID: '2' }) });
    expect(result.code).toBe(1);
    expect(failedLines(result.stdout)).toContainEqual(
      expect.stringMatching(
        /^✗ build pipeline accepts model builds: .*Unexpected parameter .* — fix: .*infra\/pipelines\/build\.yml/,
      ),
    );
  });

  it('is red when the app refuses the service-hook credentials', async () => {
    const result = await runCli(['doctor', '--app-url', appUrl], {
      env: cliEnv(sandbox, { SERVICE_HOOK_PASSWORD: 'not-the-apps-password' }),
    });
    expect(result.code).toBe(1);
    expect(failedLines(result.stdout)).toEqual([
      expect.stringMatching(/^✗ app: .*refused the service-hook credentials \(401\)/),
    ]);
  });

  it.each(['disabledBySystem', 'onProbation', 'disabledByInactiveIdentity'])(
    'is red when a subscription is %s, says how to re-enable it, and setup re-enables it',
    async (status) => {
      const [subscription] = (await subscriptions(sandbox)).filter(
        (item) => inputs(item, 'publisherInputs').definitionName === 'ai-app-build',
      );
      if (subscription === undefined) throw new Error('no build.complete subscription');
      const id = stringAt(subscription, 'id') ?? '';
      await ado(sandbox, 'PUT', `_apis/hooks/subscriptions/${id}?api-version=7.1`, {
        ...subscription,
        status,
      });

      const red = await runCli(['doctor', '--app-url', appUrl], { env: cliEnv(sandbox) });
      expect(red.code).toBe(1);
      expect(failedLines(red.stdout)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^✗ service hook build.complete of ai-app-build: subscription ${id} .* — fix: .*re-enable it: \`ai-app-cicd setup --app-url <url>\``,
          ),
        ),
      ]);

      const setup = await runCli(['setup', '--app-url', appUrl], { env: cliEnv(sandbox) });
      expect(setup.code, setup.stdout).toBe(0);
      expect(setup.stdout).toContain(`updated: subscription ${id}: status ${status} → enabled`);
      const green = await runCli(['doctor', '--app-url', appUrl], { env: cliEnv(sandbox) });
      expect(green.code, green.stdout).toBe(0);
    },
  );
});
