/**
 * The app's settings: read once from the environment, validated, frozen.
 *
 * Every setting name below is part of the public interface: operators set them as app
 * settings, `infra/` provisions them, `local.settings.sample.json` lists them, and the
 * contract tests check that those three agree with `SETTINGS`.
 */

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`Setting ${setting} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Names of every setting the app reads, with whether it must be set. Used by contract tests. */
export const SETTINGS = {
  AZURE_DEVOPS_ORG_URL: 'required',
  AZURE_DEVOPS_PROJECT: 'required',
  AZURE_DEVOPS_PAT: 'optional',
  AZURE_DEVOPS_TIMEOUT_SECONDS: 'optional',
  BUILD_PIPELINE_ID: 'required',
  GITHUB_WEBHOOK_SECRET: 'required',
  GITHUB_WEBHOOK_SECRET_PREVIOUS: 'optional',
  GITHUB_REPOSITORY: 'required',
  GITHUB_BRANCHES: 'optional',
  GITHUB_PATHS_INCLUDE: 'optional',
  GITHUB_PATHS_EXCLUDE: 'optional',
  MODELS_CONTAINER: 'optional',
  LEDGER_CONTAINER: 'optional',
  MODEL_NAME: 'required',
  MODEL_TRIGGER: 'optional',
  MODEL_STORAGE_RESOURCE_ID: 'required',
  SERVICE_HOOK_USERNAME: 'required',
  SERVICE_HOOK_PASSWORD: 'required',
  RELEASE_MODE: 'optional',
  RELEASE_PIPELINE_ID: 'optional',
  RELEASE_BUILD_RESOURCE_ALIAS: 'optional',
  RELEASE_DEFINITION_ID: 'optional',
  RELEASE_ARTIFACT_ALIAS: 'optional',
  RELEASE_ON_PARTIAL_SUCCESS: 'optional',
  AzureWebJobsStorage: 'optional',
  AzureWebJobsStorage__accountName: 'optional',
  AzureWebJobsStorage__blobServiceUri: 'optional',
  AzureWebJobsStorage__queueServiceUri: 'optional',
  AzureWebJobsStorage__clientId: 'optional',
} as const satisfies Record<string, 'required' | 'optional'>;

export type SettingName = keyof typeof SETTINGS;

export type AzureDevOpsAuth =
  | { readonly kind: 'pat'; readonly token: string }
  /** Microsoft Entra token from DefaultAzureCredential (managed identity in Azure). */
  | { readonly kind: 'entra' };

export type StorageConnection =
  | {
      readonly kind: 'connectionString';
      readonly connectionString: string;
      readonly blobEndpoint: string;
      readonly queueEndpoint: string;
    }
  | {
      readonly kind: 'identity';
      readonly blobEndpoint: string;
      readonly queueEndpoint: string;
      /** User-assigned managed identity's client id, when the app uses one. */
      readonly clientId?: string;
    };

export type ReleaseConfig =
  | {
      readonly mode: 'pipeline';
      readonly pipelineId: number;
      readonly buildResourceAlias: string;
      readonly onPartialSuccess: boolean;
    }
  | {
      readonly mode: 'classic';
      readonly definitionId: number;
      readonly artifactAlias: string;
      readonly onPartialSuccess: boolean;
    };

export interface AppConfig {
  readonly azureDevOps: {
    readonly orgUrl: string;
    readonly project: string;
    readonly auth: AzureDevOpsAuth;
    readonly buildPipelineId: number;
    /** Per-request timeout: a request unanswered by then counts as an ambiguous failure. */
    readonly timeoutSeconds: number;
  };
  readonly github: {
    /** Current secret first; the previous one is still accepted while a rotation is under way. */
    readonly webhookSecrets: readonly string[];
    readonly repository: string;
    readonly branches: readonly string[];
    readonly pathsInclude: readonly string[];
    readonly pathsExclude: readonly string[];
  };
  readonly model: {
    readonly name: string;
    readonly trigger: 'manifest' | 'any-file';
    readonly storageResourceId: string;
  };
  readonly storage: StorageConnection & {
    readonly modelsContainer: string;
    readonly ledgerContainer: string;
  };
  readonly serviceHook: { readonly username: string; readonly password: string };
  readonly release: ReleaseConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Names, versions and containers share this conservative pattern so they are safe anywhere. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const GITHUB_REPOSITORY = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;

function read(env: Env, name: SettingName): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Env, name: SettingName): string {
  const value = read(env, name);
  if (value === undefined) throw new ConfigError(name, 'is required but not set');
  return value;
}

function positiveInteger(name: SettingName, value: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value))
    throw new ConfigError(name, `must be a positive integer, got "${value}"`);
  return Number(value);
}

function httpUrl(name: SettingName, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(name, 'must be an absolute http(s) URL');
  }
  return url.href.replace(/\/+$/, '');
}

function list(env: Env, name: SettingName, fallback: readonly string[] = []): readonly string[] {
  const value = read(env, name);
  if (value === undefined) return fallback;
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new ConfigError(name, 'must list at least one value');
  return items;
}

function oneOf<const T extends string>(env: Env, name: SettingName, allowed: readonly T[], fallback: T): T {
  const value = read(env, name);
  if (value === undefined) return fallback;
  const match = allowed.find((candidate) => candidate === value);
  if (match === undefined)
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}; got "${value}"`);
  return match;
}

function bool(env: Env, name: SettingName): boolean {
  return oneOf(env, name, ['true', 'false'], 'false') === 'true';
}

function safeName(env: Env, name: SettingName, fallback?: string): string {
  const value = fallback === undefined ? required(env, name) : (read(env, name) ?? fallback);
  if (!SAFE_NAME.test(value)) {
    throw new ConfigError(name, 'may hold only letters, digits, ".", "_" and "-" (at most 63 characters)');
  }
  return value;
}

function container(env: Env, name: SettingName, fallback: string): string {
  const value = read(env, name) ?? fallback;
  if (!CONTAINER_NAME.test(value))
    throw new ConfigError(name, `is not a valid blob container name: "${value}"`);
  return value;
}

function parseConnectionString(value: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const segment of value.split(';')) {
    const separator = segment.indexOf('=');
    if (separator > 0)
      parts.set(segment.slice(0, separator).trim().toLowerCase(), segment.slice(separator + 1).trim());
  }
  return parts;
}

function storageConnection(env: Env): StorageConnection {
  const connectionString = read(env, 'AzureWebJobsStorage');
  if (connectionString !== undefined) {
    if (connectionString === 'UseDevelopmentStorage=true') {
      return {
        kind: 'connectionString',
        connectionString,
        blobEndpoint: 'http://127.0.0.1:10000/devstoreaccount1',
        queueEndpoint: 'http://127.0.0.1:10001/devstoreaccount1',
      };
    }
    const parts = parseConnectionString(connectionString);
    const accountName = parts.get('accountname');
    const suffix = parts.get('endpointsuffix') ?? 'core.windows.net';
    const protocol = parts.get('defaultendpointsprotocol') ?? 'https';
    const blobEndpoint =
      parts.get('blobendpoint') ??
      (accountName === undefined ? undefined : `${protocol}://${accountName}.blob.${suffix}`);
    const queueEndpoint =
      parts.get('queueendpoint') ??
      (accountName === undefined ? undefined : `${protocol}://${accountName}.queue.${suffix}`);
    if (blobEndpoint === undefined || queueEndpoint === undefined) {
      throw new ConfigError(
        'AzureWebJobsStorage',
        'is not a storage connection string (no AccountName or endpoints)',
      );
    }
    return {
      kind: 'connectionString',
      connectionString,
      blobEndpoint: httpUrl('AzureWebJobsStorage', blobEndpoint),
      queueEndpoint: httpUrl('AzureWebJobsStorage', queueEndpoint),
    };
  }
  const accountName = read(env, 'AzureWebJobsStorage__accountName');
  const blobUri = read(env, 'AzureWebJobsStorage__blobServiceUri');
  const queueUri = read(env, 'AzureWebJobsStorage__queueServiceUri');
  const clientId = read(env, 'AzureWebJobsStorage__clientId');
  const identity = clientId === undefined ? {} : { clientId };
  if (blobUri !== undefined) {
    const blobEndpoint = httpUrl('AzureWebJobsStorage__blobServiceUri', blobUri);
    const queueEndpoint =
      queueUri === undefined
        ? blobEndpoint.replace('.blob.', '.queue.')
        : httpUrl('AzureWebJobsStorage__queueServiceUri', queueUri);
    return { kind: 'identity', blobEndpoint, queueEndpoint, ...identity };
  }
  if (accountName !== undefined) {
    if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
      throw new ConfigError('AzureWebJobsStorage__accountName', 'is not a valid storage account name');
    }
    return {
      kind: 'identity',
      blobEndpoint: `https://${accountName}.blob.core.windows.net`,
      queueEndpoint: `https://${accountName}.queue.core.windows.net`,
      ...identity,
    };
  }
  throw new ConfigError(
    'AzureWebJobsStorage',
    'is required: set a connection string, or AzureWebJobsStorage__accountName (or __blobServiceUri) to connect by identity',
  );
}

function releaseConfig(env: Env): ReleaseConfig {
  const mode = oneOf(env, 'RELEASE_MODE', ['pipeline', 'classic'], 'pipeline');
  const onPartialSuccess = bool(env, 'RELEASE_ON_PARTIAL_SUCCESS');
  if (mode === 'pipeline') {
    return {
      mode,
      pipelineId: positiveInteger('RELEASE_PIPELINE_ID', required(env, 'RELEASE_PIPELINE_ID')),
      buildResourceAlias: safeName(env, 'RELEASE_BUILD_RESOURCE_ALIAS', 'build'),
      onPartialSuccess,
    };
  }
  return {
    mode,
    definitionId: positiveInteger('RELEASE_DEFINITION_ID', required(env, 'RELEASE_DEFINITION_ID')),
    artifactAlias: safeName(env, 'RELEASE_ARTIFACT_ALIAS', 'build'),
    onPartialSuccess,
  };
}

/** Reads and validates every setting; throws a ConfigError naming the first bad one. */
export function loadConfig(env: Env = process.env): AppConfig {
  const repository = required(env, 'GITHUB_REPOSITORY');
  if (!GITHUB_REPOSITORY.test(repository)) {
    throw new ConfigError('GITHUB_REPOSITORY', `must be "owner/name", got "${repository}"`);
  }
  const secret = required(env, 'GITHUB_WEBHOOK_SECRET');
  const previousSecret = read(env, 'GITHUB_WEBHOOK_SECRET_PREVIOUS');
  const pat = read(env, 'AZURE_DEVOPS_PAT');
  const storageResourceId = required(env, 'MODEL_STORAGE_RESOURCE_ID');
  if (
    !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[^/]+$/i.test(
      storageResourceId,
    )
  ) {
    throw new ConfigError(
      'MODEL_STORAGE_RESOURCE_ID',
      'must be a storage account resource id (/subscriptions/…/resourceGroups/…/providers/Microsoft.Storage/storageAccounts/…)',
    );
  }

  const config: AppConfig = {
    azureDevOps: {
      orgUrl: httpUrl('AZURE_DEVOPS_ORG_URL', required(env, 'AZURE_DEVOPS_ORG_URL')),
      project: required(env, 'AZURE_DEVOPS_PROJECT'),
      auth: pat === undefined ? { kind: 'entra' } : { kind: 'pat', token: pat },
      buildPipelineId: positiveInteger('BUILD_PIPELINE_ID', required(env, 'BUILD_PIPELINE_ID')),
      timeoutSeconds: positiveInteger(
        'AZURE_DEVOPS_TIMEOUT_SECONDS',
        read(env, 'AZURE_DEVOPS_TIMEOUT_SECONDS') ?? '20',
      ),
    },
    github: {
      webhookSecrets: previousSecret === undefined ? [secret] : [secret, previousSecret],
      repository,
      branches: list(env, 'GITHUB_BRANCHES', ['main']),
      pathsInclude: list(env, 'GITHUB_PATHS_INCLUDE'),
      pathsExclude: list(env, 'GITHUB_PATHS_EXCLUDE'),
    },
    model: {
      name: safeName(env, 'MODEL_NAME'),
      trigger: oneOf(env, 'MODEL_TRIGGER', ['manifest', 'any-file'], 'manifest'),
      storageResourceId,
    },
    storage: {
      ...storageConnection(env),
      modelsContainer: container(env, 'MODELS_CONTAINER', 'models'),
      ledgerContainer: container(env, 'LEDGER_CONTAINER', 'flows'),
    },
    serviceHook: {
      username: required(env, 'SERVICE_HOOK_USERNAME'),
      password: required(env, 'SERVICE_HOOK_PASSWORD'),
    },
    release: releaseConfig(env),
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
