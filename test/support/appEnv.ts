import { randomBytes } from 'node:crypto';
import { resetApp } from '../../src/app/services.js';

export const TEST_SECRETS = {
  webhook: 'whsec-test-7f3a9c1e5b2d4f60',
  previousWebhook: 'whsec-old-0a1b2c3d4e5f6a7b',
  pat: 'pat-test-4e2b9d7c1a3f5e8b',
  serviceHookPassword: 'hookpw-test-9c8b7a6d5e4f',
} as const;

export const TEST_STORAGE_RESOURCE_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ai-app-sandbox/providers/Microsoft.Storage/storageAccounts/devstoreaccount1';

export interface AppEnvInput {
  readonly azurite: { readonly connectionString: string };
  readonly orgUrl: string;
  readonly overrides?: Readonly<Record<string, string | undefined>>;
}

/** A complete, valid app configuration against Azurite and the emulator, with containers of its own. */
export function appEnv(input: AppEnvInput): Record<string, string | undefined> {
  const suffix = randomBytes(4).toString('hex');
  return {
    AzureWebJobsStorage: input.azurite.connectionString,
    AZURE_DEVOPS_ORG_URL: input.orgUrl,
    AZURE_DEVOPS_PROJECT: 'ai-app',
    AZURE_DEVOPS_PAT: TEST_SECRETS.pat,
    BUILD_PIPELINE_ID: '1',
    GITHUB_WEBHOOK_SECRET: TEST_SECRETS.webhook,
    GITHUB_REPOSITORY: 'contoso/fraud-app',
    GITHUB_BRANCHES: 'main,release/*',
    MODEL_NAME: 'fraud',
    MODEL_STORAGE_RESOURCE_ID: TEST_STORAGE_RESOURCE_ID,
    MODELS_CONTAINER: `models-${suffix}`,
    LEDGER_CONTAINER: `flows-${suffix}`,
    SERVICE_HOOK_USERNAME: 'azure-devops',
    SERVICE_HOOK_PASSWORD: TEST_SECRETS.serviceHookPassword,
    RELEASE_MODE: 'pipeline',
    RELEASE_PIPELINE_ID: '2',
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
