/**
 * The sandbox's defaults: every app setting the app needs, pointing at the local Azurite and
 * the Azure DevOps emulator. Every app setting (see SETTING_SPECS in src/config.ts) can still be
 * overridden by the environment; the ports and sandbox knobs are read here too.
 */
import { SETTING_SPECS } from '../../src/config.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Fixed sandbox values: local-only, printed at start, never secrets of anything real. */
export const SANDBOX = {
  org: 'sandbox',
  project: 'ai-app',
  pat: 'sandbox-pat',
  webhookSecret: 'sandbox-webhook-secret',
  repository: 'contoso/ai-app',
  modelName: 'demo',
  serviceHookUsername: 'azure-devops',
  serviceHookPassword: 'sandbox-hook-password',
  storageResourceId:
    '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ai-app-sandbox/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
  modelsContainer: 'models',
  ledgerContainer: 'flows',
  // The emulator parses the pipelines' YAML (repository paths) for their declared parameters.
  buildPipeline: { id: 1, name: 'ai-app-build', yamlPath: 'infra/pipelines/build.yml' },
  releasePipeline: { id: 2, name: 'ai-app-deploy', yamlPath: 'infra/pipelines/deploy.yml' },
  releaseDefinition: { id: 3, name: 'ai-app-release', artifactAlias: 'build', stage: 'production' },
  /** The local Event Grid topic's access key (tools/event-grid-topic). */
  topicKey: 'sandbox-topic-key',
  ports: { azuriteBlob: 10000, azuriteQueue: 10001, adoEmulator: 8090, host: 7071, eventGridTopic: 8091 },
} as const;

export class SandboxSettingError extends Error {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting} ${problem}`);
    this.name = 'SandboxSettingError';
  }
}

export function setting(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? fallback : value;
}

export function positiveInteger(env: Env, name: string, fallback: number): number {
  const text = setting(env, name, String(fallback));
  if (!/^[1-9][0-9]{0,9}$/.test(text))
    throw new SandboxSettingError(name, `must be a positive integer, got "${text}"`);
  return Number(text);
}

/** A TCP port from the environment; 0 means "any free port". */
export function port(env: Env, name: string, fallback: number): number {
  const text = setting(env, name, String(fallback));
  const value = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || value > 65535)
    throw new SandboxSettingError(name, `must be a port number (0–65535), got "${text}"`);
  return value;
}

export interface SandboxKnobs {
  readonly org: string;
  readonly project: string;
  readonly pat: string;
  readonly buildPipelineId: number;
  readonly releasePipelineId: number;
  readonly releaseDefinitionId: number;
  /** Seconds after which runs are completed automatically; undefined = off. */
  readonly buildSeconds: number | undefined;
  readonly buildResult: 'succeeded' | 'failed';
  readonly dataDir: string | undefined;
}

/** The sandbox's own knobs, and the settings the emulator must agree with the app on. */
export function sandboxKnobs(env: Env): SandboxKnobs {
  const buildPipelineId = positiveInteger(env, 'BUILD_PIPELINE_ID', SANDBOX.buildPipeline.id);
  const releasePipelineId = positiveInteger(env, 'RELEASE_PIPELINE_ID', SANDBOX.releasePipeline.id);
  if (buildPipelineId === releasePipelineId)
    throw new SandboxSettingError(
      'RELEASE_PIPELINE_ID',
      `must differ from BUILD_PIPELINE_ID (${buildPipelineId})`,
    );
  const secondsText = env.SANDBOX_BUILD_SECONDS?.trim() ?? '';
  let buildSeconds: number | undefined;
  if (secondsText !== '' && secondsText !== 'off' && secondsText !== '0') {
    buildSeconds = Number(secondsText);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(secondsText) || buildSeconds > 86_400)
      throw new SandboxSettingError(
        'SANDBOX_BUILD_SECONDS',
        `must be a number of seconds, got "${secondsText}"`,
      );
  }
  const result = setting(env, 'SANDBOX_BUILD_RESULT', 'succeeded');
  if (result !== 'succeeded' && result !== 'failed')
    throw new SandboxSettingError('SANDBOX_BUILD_RESULT', `must be succeeded or failed, got "${result}"`);
  const dataDir = env.SANDBOX_DATA_DIR?.trim();
  return {
    org: SANDBOX.org,
    project: setting(env, 'AZURE_DEVOPS_PROJECT', SANDBOX.project),
    pat: setting(env, 'AZURE_DEVOPS_PAT', SANDBOX.pat),
    buildPipelineId,
    releasePipelineId,
    releaseDefinitionId: positiveInteger(env, 'RELEASE_DEFINITION_ID', SANDBOX.releaseDefinition.id),
    buildSeconds,
    buildResult: result,
    dataDir: dataDir === undefined || dataDir === '' ? undefined : dataDir,
  };
}

/**
 * The app's settings in the sandbox: defaults against the running emulator and Azurite,
 * then every app setting present in `env` on top.
 */
export function appSettings(
  env: Env,
  runtime: {
    readonly orgUrl: string;
    readonly connectionString: string;
    readonly knobs: SandboxKnobs;
    /** The local Event Grid topic flow events go to (when the sandbox runs one). */
    readonly flowEvents?: { readonly endpoint: string; readonly key: string };
  },
): Readonly<Record<string, string>> {
  const defaults: Record<string, string> = {
    AzureWebJobsStorage: runtime.connectionString,
    AZURE_DEVOPS_ORG_URL: runtime.orgUrl,
    AZURE_DEVOPS_PROJECT: runtime.knobs.project,
    AZURE_DEVOPS_PAT: runtime.knobs.pat,
    BUILD_PIPELINE_ID: String(runtime.knobs.buildPipelineId),
    RELEASE_MODE: 'pipeline',
    RELEASE_PIPELINE_ID: String(runtime.knobs.releasePipelineId),
    RELEASE_DEFINITION_ID: String(runtime.knobs.releaseDefinitionId),
    GITHUB_WEBHOOK_SECRET: SANDBOX.webhookSecret,
    GITHUB_REPOSITORY: SANDBOX.repository,
    MODEL_NAME: SANDBOX.modelName,
    MODEL_STORAGE_RESOURCE_ID: SANDBOX.storageResourceId,
    MODELS_CONTAINER: SANDBOX.modelsContainer,
    LEDGER_CONTAINER: SANDBOX.ledgerContainer,
    SERVICE_HOOK_USERNAME: SANDBOX.serviceHookUsername,
    SERVICE_HOOK_PASSWORD: SANDBOX.serviceHookPassword,
    ...(runtime.flowEvents === undefined
      ? {}
      : {
          FLOW_EVENTS_TOPIC_ENDPOINT: runtime.flowEvents.endpoint,
          FLOW_EVENTS_TOPIC_KEY: runtime.flowEvents.key,
        }),
  };
  const settings: Record<string, string> = { ...defaults };
  for (const name of Object.keys(SETTING_SPECS)) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') settings[name] = value;
  }
  return settings;
}
