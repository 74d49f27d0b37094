import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { appEnv } from '../support/appEnv.js';

const base = appEnv({
  azurite: { connectionString: 'UseDevelopmentStorage=true' },
  orgUrl: 'https://dev.azure.com/contoso',
});

function load(overrides: Record<string, string | undefined>) {
  return loadConfig({ ...base, ...overrides });
}

describe('loadConfig', () => {
  it('reads a complete configuration, frozen', () => {
    const config = load({});
    expect(config.azureDevOps).toMatchObject({
      orgUrl: 'https://dev.azure.com/contoso',
      buildPipelineId: 1,
      auth: { kind: 'pat' },
    });
    expect(config.github.branches).toEqual(['main', 'release/*']);
    expect(config.release).toMatchObject({ mode: 'pipeline', pipelineId: 2, buildResourceAlias: 'build' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.github.branches)).toBe(true);
  });

  it('uses Entra tokens when no PAT is set, and the default branch and containers', () => {
    const config = load({
      AZURE_DEVOPS_PAT: undefined,
      GITHUB_BRANCHES: undefined,
      MODELS_CONTAINER: undefined,
      LEDGER_CONTAINER: undefined,
    });
    expect(config.azureDevOps.auth).toEqual({ kind: 'entra' });
    expect(config.github.branches).toEqual(['main']);
    expect(config.storage).toMatchObject({ modelsContainer: 'models', ledgerContainer: 'flows' });
  });

  it('accepts the previous webhook secret for rotation', () => {
    expect(load({ GITHUB_WEBHOOK_SECRET_PREVIOUS: 'old' }).github.webhookSecrets).toEqual([
      base.GITHUB_WEBHOOK_SECRET,
      'old',
    ]);
  });

  it('connects storage by identity from the account name', () => {
    const config = load({
      AzureWebJobsStorage: undefined,
      AzureWebJobsStorage__accountName: 'stcicd01',
      AzureWebJobsStorage__clientId: 'cid',
    });
    expect(config.storage).toMatchObject({
      kind: 'identity',
      blobEndpoint: 'https://stcicd01.blob.core.windows.net',
      queueEndpoint: 'https://stcicd01.queue.core.windows.net',
      clientId: 'cid',
    });
  });

  it('switches to classic releases', () => {
    expect(load({ RELEASE_MODE: 'classic', RELEASE_DEFINITION_ID: '3' }).release).toMatchObject({
      mode: 'classic',
      definitionId: 3,
      artifactAlias: 'build',
    });
  });

  it.each([
    ['AZURE_DEVOPS_ORG_URL', { AZURE_DEVOPS_ORG_URL: undefined }],
    ['AZURE_DEVOPS_ORG_URL', { AZURE_DEVOPS_ORG_URL: 'not a url' }],
    ['AZURE_DEVOPS_PROJECT', { AZURE_DEVOPS_PROJECT: '  ' }],
    ['BUILD_PIPELINE_ID', { BUILD_PIPELINE_ID: 'twelve' }],
    ['BUILD_PIPELINE_ID', { BUILD_PIPELINE_ID: '0' }],
    ['GITHUB_WEBHOOK_SECRET', { GITHUB_WEBHOOK_SECRET: undefined }],
    ['GITHUB_REPOSITORY', { GITHUB_REPOSITORY: 'just-a-name' }],
    ['GITHUB_BRANCHES', { GITHUB_BRANCHES: ' , ' }],
    ['MODEL_NAME', { MODEL_NAME: 'fraud model' }],
    ['MODEL_TRIGGER', { MODEL_TRIGGER: 'sometimes' }],
    ['MODEL_STORAGE_RESOURCE_ID', { MODEL_STORAGE_RESOURCE_ID: 'devstoreaccount1' }],
    ['MODELS_CONTAINER', { MODELS_CONTAINER: 'Models_Bad' }],
    ['SERVICE_HOOK_PASSWORD', { SERVICE_HOOK_PASSWORD: undefined }],
    ['RELEASE_MODE', { RELEASE_MODE: 'yolo' }],
    ['RELEASE_PIPELINE_ID', { RELEASE_PIPELINE_ID: undefined }],
    ['RELEASE_DEFINITION_ID', { RELEASE_MODE: 'classic', RELEASE_DEFINITION_ID: undefined }],
    ['RELEASE_ON_PARTIAL_SUCCESS', { RELEASE_ON_PARTIAL_SUCCESS: 'yes' }],
    ['AzureWebJobsStorage', { AzureWebJobsStorage: undefined }],
    ['AzureWebJobsStorage', { AzureWebJobsStorage: 'Foo=bar' }],
  ])('names %s when it is missing or malformed', (setting, overrides) => {
    expect(() => load(overrides)).toThrow(ConfigError);
    expect(() => load(overrides)).toThrow(
      expect.objectContaining({ setting, code: 'CONFIG_INVALID', message: expect.stringContaining(setting) }),
    );
  });

  // A malformed value is named, never quoted, where it may be a secret.
  it.each([
    ['GITHUB_REPOSITORY', { GITHUB_REPOSITORY: 'x' }, base.GITHUB_WEBHOOK_SECRET ?? 'unset'],
    [
      'AzureWebJobsStorage',
      { AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountKey=c2VjcmV0LWtleS0xMjM0NTY=' },
      'c2VjcmV0LWtleS0xMjM0NTY=',
    ],
  ])('never echoes a secret when %s is malformed', (setting, overrides, secret) => {
    expect(() => load(overrides)).toThrow(
      expect.objectContaining({ setting, message: expect.not.stringContaining(secret) }),
    );
    expect(() => load(overrides)).toThrow(ConfigError);
  });
});
