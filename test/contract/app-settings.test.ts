/**
 * The settings the app reads (SETTING_SPECS in src/config.ts), the app settings infra/main.bicep
 * provisions, and local.settings.sample.json must agree.
 */
import { describe, expect, it } from 'vitest';
import { SETTING_SPECS } from '../../src/config.js';
import {
  bicepObjectKeys,
  bicepParams,
  bicepUnionKeys,
  readJson,
  readText,
  record,
  type Json,
} from './support.js';

const main = readText('infra/main.bicep');
/** Always set: the required settings must be here. */
const always = bicepObjectKeys(main, 'appSettings');
/** Set only when they have a value (optional secrets, release ids). */
const conditional = bicepUnionKeys(main, 'conditionalAppSettings');
const provisioned = new Map([...always, ...conditional]);

const settingNames: readonly string[] = Object.keys(SETTING_SPECS);
const required = Object.entries(SETTING_SPECS)
  .filter(([, spec]) => spec.need === 'required')
  .map(([name]) => name);

/** Settings for the platform and SDKs, not read by the app's code. */
const PLATFORM_SETTINGS = [
  'AzureWebJobsStorage__credential', // the Functions host connects to storage by managed identity
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', // Entra-authenticated telemetry (local auth is off)
];

/** SETTING_SPECS keys the Bicep leaves out on purpose. */
const NOT_PROVISIONED = {
  // A connection string needs shared keys, which the storage account disables: identity instead.
  AzureWebJobsStorage: 'shared keys are disabled; the __accountName/__serviceUri identity form is used',
  // The flow events topic has no access keys (local auth disabled): the app publishes with its identity.
  FLOW_EVENTS_TOPIC_KEY: 'the topic accepts Microsoft Entra tokens only; the managed identity publishes',
};

const SECRETS = [
  'GITHUB_WEBHOOK_SECRET',
  'GITHUB_WEBHOOK_SECRET_PREVIOUS',
  'SERVICE_HOOK_PASSWORD',
  'AZURE_DEVOPS_PAT',
];

describe('infra/main.bicep app settings', () => {
  it('finds the app settings blocks', () => {
    expect(always.size).toBeGreaterThan(20);
    expect(conditional.size).toBeGreaterThan(0);
  });

  it('always sets every required setting', () => {
    expect(required.length).toBeGreaterThan(0);
    expect(required.filter((name) => !always.has(name))).toEqual([]);
  });

  it('sets every setting the app reads, except the documented omissions', () => {
    const missing = settingNames.filter((name) => !provisioned.has(name) && !(name in NOT_PROVISIONED));
    expect(missing).toEqual([]);
    for (const name of Object.keys(NOT_PROVISIONED)) expect(provisioned.has(name)).toBe(false);
  });

  it('sets nothing but settings the app reads and known platform settings (no typos)', () => {
    const unknown = [...provisioned.keys()].filter(
      (name) => !settingNames.includes(name) && !PLATFORM_SETTINGS.includes(name),
    );
    expect(unknown).toEqual([]);
  });

  it('never sets a required setting only conditionally', () => {
    expect(required.filter((name) => conditional.has(name))).toEqual([]);
  });

  it('references secrets from Key Vault, never values', () => {
    for (const name of SECRETS) {
      expect(provisioned.get(name), name).toMatch(/^keyVaultReference\(keyVault\.outputs\.secretUris\.\w+\)/);
    }
    expect(main).toMatch(
      /func keyVaultReference\(secretUri string\) string => '@Microsoft\.KeyVault\(SecretUri=\$\{secretUri\}\)'/,
    );
  });

  it('connects the Functions host to storage by identity (Flex Consumption: no worker runtime settings)', () => {
    expect(always.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(always.get('AzureWebJobsStorage__clientId')).toBe('identity.outputs.clientId');
    expect(always.get('MODEL_STORAGE_RESOURCE_ID')).toBe('storage.outputs.id');
    for (const name of [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
    ]) {
      expect(provisioned.has(name), name).toBe(false);
    }
  });
});

describe('local.settings.sample.json', () => {
  const values = record(record(readJson('local.settings.sample.json'), 'sample').Values, 'Values');

  it('lists every setting the app reads', () => {
    expect(settingNames.filter((name) => !(name in values))).toEqual([]);
  });

  it('lists nothing the app does not read (no typos)', () => {
    const extra = Object.keys(values).filter(
      (name) => !settingNames.includes(name) && name !== 'FUNCTIONS_WORKER_RUNTIME',
    );
    expect(extra).toEqual([]);
  });
});

describe('infra/main.parameters.json', () => {
  const params = bicepParams(main);
  const file = record(
    record(readJson('infra/main.parameters.json'), 'parameters file').parameters,
    'parameters',
  );

  it('only names parameters main.bicep declares', () => {
    expect(params.size).toBeGreaterThan(10);
    expect(Object.keys(file).filter((name) => !params.has(name))).toEqual([]);
  });

  it('gives a value to every parameter without a default', () => {
    const withoutDefault = [...params].filter(([, param]) => !param.hasDefault).map(([name]) => name);
    expect(withoutDefault.filter((name) => !(name in file))).toEqual([]);
  });

  it('lets azd generate the secrets (or take them from Key Vault) and stores them in Key Vault', () => {
    const value = (name: string): unknown => record(file[name], name).value;
    // Empty on a fresh environment: azd generates them (test/contract/azd-parameters.test.ts); set
    // to akvs://<subscription>/<vault>/<secret>, azd reads them back from Key Vault.
    expect(value('githubWebhookSecret')).toBe('${GITHUB_WEBHOOK_SECRET=}');
    expect(value('serviceHookPassword')).toBe('${SERVICE_HOOK_PASSWORD=}');
    // The secret names docs/deploy.md reads back are the names the Key Vault module stores them under.
    const keyVault = readText('infra/modules/keyvault.bicep');
    expect(keyVault).toContain("githubWebhookSecret: 'github-webhook-secret'");
    expect(keyVault).toContain("serviceHookPassword: 'service-hook-password'");
    const deployDoc = readText('docs/deploy.md');
    expect(deployDoc).toContain('/github-webhook-secret"');
    expect(deployDoc).toContain('/service-hook-password"');
  });

  it('maps parameters to azd environment variables named like the settings they feed', () => {
    const mapped: Json = {};
    for (const [name, entry] of Object.entries(file)) mapped[name] = record(entry, name).value;
    expect(mapped.azureDevOpsOrgUrl).toBe('${AZURE_DEVOPS_ORG_URL}');
    expect(mapped.buildPipelineId).toBe('${BUILD_PIPELINE_ID}');
    expect(mapped.githubRepository).toBe('${GITHUB_REPOSITORY}');
    expect(mapped.modelName).toBe('${MODEL_NAME}');
  });
});

describe('the Bicep text readers', () => {
  const sample = [
    'var appSettings = {',
    '  // a comment: NOT_A_KEY: 1',
    "  MODEL_NAME: 'x' // trailing: comment",
    "  MODEL_NAEM: 'typo'",
    '}',
    'var conditionalAppSettings = union(',
    "  flag ? { AZURE_DEVOPS_PAT: 'a' } : {},",
    '  other > 0 ? { RELEASE_PIPELINE_ID: string(other) } : {}',
    ')',
    "param a string = 'x'",
    'param b int',
  ].join('\n');

  it('read keys, skip comments, and would catch a typo', () => {
    expect([...bicepObjectKeys(sample, 'appSettings').keys()]).toEqual(['MODEL_NAME', 'MODEL_NAEM']);
    expect([...bicepUnionKeys(sample, 'conditionalAppSettings').keys()]).toEqual([
      'AZURE_DEVOPS_PAT',
      'RELEASE_PIPELINE_ID',
    ]);
    expect([...bicepParams(sample)]).toEqual([
      ['a', { type: 'string', hasDefault: true }],
      ['b', { type: 'int', hasDefault: false }],
    ]);
    expect(settingNames.includes('MODEL_NAEM')).toBe(false);
  });

  it('fail loudly when the block is missing', () => {
    expect(() => bicepObjectKeys('var other = {\n}', 'appSettings')).toThrow(/no "var appSettings/);
  });
});
