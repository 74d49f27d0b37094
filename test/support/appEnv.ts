import { randomBytes } from 'node:crypto';
import { resetApp } from '../../src/app/services.js';
import { appSettings, sandboxKnobs } from '../../tools/sandbox/settings.js';

export const TEST_SECRETS = {
  webhook: 'whsec-test-7f3a9c1e5b2d4f60',
  previousWebhook: 'whsec-old-0a1b2c3d4e5f6a7b',
  pat: 'pat-test-4e2b9d7c1a3f5e8b',
  serviceHookPassword: 'hookpw-test-9c8b7a6d5e4f',
} as const;

/**
 * The app settings the tests differ from the sandbox in (every other one is the sandbox's
 * default): distinctive secrets, the `fraud` model of `contoso/fraud-app`, two release branches,
 * and containers of their own.
 */
export function testSettings(): Record<string, string> {
  const suffix = randomBytes(4).toString('hex');
  return {
    AZURE_DEVOPS_PAT: TEST_SECRETS.pat,
    GITHUB_WEBHOOK_SECRET: TEST_SECRETS.webhook,
    GITHUB_REPOSITORY: 'contoso/fraud-app',
    GITHUB_BRANCHES: 'main,release/*',
    MODEL_NAME: 'fraud',
    MODELS_CONTAINER: `models-${suffix}`,
    LEDGER_CONTAINER: `flows-${suffix}`,
    SERVICE_HOOK_PASSWORD: TEST_SECRETS.serviceHookPassword,
  };
}

export interface AppEnvInput {
  readonly azurite: { readonly connectionString: string };
  readonly orgUrl: string;
  readonly overrides?: Readonly<Record<string, string | undefined>>;
}

/**
 * A complete, valid app configuration against an Azurite and an emulator already running, as
 * the sandbox makes it (`undefined` in `overrides` removes a setting).
 */
export function appEnv(input: AppEnvInput): Record<string, string | undefined> {
  const settings = testSettings();
  return {
    ...appSettings(settings, {
      orgUrl: input.orgUrl,
      connectionString: input.azurite.connectionString,
      knobs: sandboxKnobs(settings),
    }),
    ...input.overrides,
  };
}

/** Makes `env` the process environment of this test file's app, and forgets cached services. */
export function useAppEnv(env: Readonly<Record<string, string | undefined>>): void {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = value;
  }
  resetApp();
}
