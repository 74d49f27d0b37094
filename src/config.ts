/**
 * The app's settings: read once from the environment, validated, frozen.
 *
 * `SETTING_SPECS` is the one list of settings: the README's settings table, `infra/`'s app
 * settings and `local.settings.sample.json` are checked against it by contract tests. It is
 * plain data and small parse functions rather than a schema library: the app parses a dozen
 * strings once at start, and the cold start should not pay for a validator it barely uses.
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

interface SettingSpec {
  readonly need: 'required' | 'optional';
  /** When only some configurations need it. */
  readonly neededWhen?: string;
  readonly default?: string;
  readonly meaning: string;
}

export const SETTING_SPECS = {
  AZURE_DEVOPS_ORG_URL: {
    need: 'required',
    meaning: 'Organisation URL, e.g. `https://dev.azure.com/contoso`.',
  },
  AZURE_DEVOPS_PROJECT: { need: 'required', meaning: 'Project holding the pipelines.' },
  AZURE_DEVOPS_PAT: {
    need: 'optional',
    meaning:
      'Personal access token; when absent the app uses a Microsoft Entra token (managed identity) for Azure DevOps, renewed before it expires.',
  },
  AZURE_DEVOPS_TIMEOUT_SECONDS: {
    need: 'optional',
    default: '20',
    meaning: 'Per-request timeout; an unanswered request is reconciled before it is retried.',
  },
  AZURE_CLIENT_ID: {
    need: 'optional',
    meaning: "Client id of the app's user-assigned managed identity (Entra tokens for Azure DevOps).",
  },
  BUILD_PIPELINE_ID: {
    need: 'required',
    meaning: "The AI app's build pipeline (`infra/pipelines/build.yml`).",
  },
  GITHUB_WEBHOOK_SECRET: { need: 'required', meaning: 'Webhook secret (Key Vault reference in Azure).' },
  GITHUB_WEBHOOK_SECRET_PREVIOUS: {
    need: 'optional',
    meaning: 'Still accepted while a secret rotation is under way.',
  },
  GITHUB_REPOSITORY: {
    need: 'required',
    meaning: '`owner/name`; pushes from any other repository are refused.',
  },
  GITHUB_BRANCHES: {
    need: 'optional',
    default: 'main',
    meaning:
      'Release branches, comma-separated names or globs; the first plain name is where new models are built.',
  },
  GITHUB_PATHS_INCLUDE: {
    need: 'optional',
    meaning: 'Globs: a push builds only if a changed path is included (and not excluded).',
  },
  GITHUB_PATHS_EXCLUDE: { need: 'optional', meaning: 'Globs of changed paths that never start a build.' },
  MODEL_NAME: {
    need: 'required',
    meaning: 'The one model this app embeds; uploads of other names are skipped.',
  },
  MODEL_TRIGGER: {
    need: 'optional',
    default: 'manifest',
    meaning:
      '`manifest`: a version builds when its `model.json` arrives and every listed file is there with its size. `any-file`: each non-empty blob is a version.',
  },
  MODEL_STORAGE_RESOURCE_ID: {
    need: 'required',
    meaning: 'Resource id of the storage account; events from any other topic are skipped.',
  },
  MODELS_CONTAINER: { need: 'optional', default: 'models', meaning: 'Container data scientists upload to.' },
  LEDGER_CONTAINER: { need: 'optional', default: 'flows', meaning: 'Container of the flow ledger.' },
  SERVICE_HOOK_USERNAME: {
    need: 'required',
    meaning: 'Basic-auth user name the Azure DevOps service hooks send.',
  },
  SERVICE_HOOK_PASSWORD: {
    need: 'required',
    meaning: 'Basic-auth password the service hooks send (Key Vault reference in Azure).',
  },
  RELEASE_MODE: {
    need: 'optional',
    default: 'pipeline',
    meaning: '`pipeline` (YAML deploy pipeline) or `classic` (release definition).',
  },
  RELEASE_PIPELINE_ID: {
    need: 'optional',
    neededWhen: 'in pipeline mode',
    meaning: 'The deploy pipeline (`infra/pipelines/deploy.yml`).',
  },
  RELEASE_BUILD_RESOURCE_ALIAS: {
    need: 'optional',
    default: 'build',
    meaning: 'Alias of the build pipeline resource in the deploy pipeline.',
  },
  RELEASE_DEFINITION_ID: {
    need: 'optional',
    neededWhen: 'in classic mode',
    meaning: 'Classic release definition.',
  },
  RELEASE_ARTIFACT_ALIAS: {
    need: 'optional',
    default: 'build',
    meaning: 'Alias of the build artifact in that definition.',
  },
  RELEASE_ON_PARTIAL_SUCCESS: {
    need: 'optional',
    default: 'false',
    meaning: 'Release `partiallySucceeded` builds too.',
  },
  FLOW_EVENTS_TOPIC_ENDPOINT: {
    need: 'optional',
    meaning:
      'Event Grid custom topic (CloudEvents 1.0 input schema) every flow transition is published to, e.g. `https://<topic>.<region>-1.eventgrid.azure.net/api/events` (docs/events.md). Not set: no events. `http://` only to a loopback address (a local stand-in).',
  },
  FLOW_EVENTS_TOPIC_KEY: {
    need: 'optional',
    meaning:
      "Access key of that topic (sent as `aeg-sas-key`); when absent the app's managed identity publishes (role EventGrid Data Sender on the topic).",
  },
  AzureWebJobsStorage: {
    need: 'optional',
    neededWhen: 'or the identity-based settings',
    meaning: 'Storage connection string (Azurite locally).',
  },
  AzureWebJobsStorage__accountName: {
    need: 'optional',
    meaning: 'Identity-based storage connection (Azure): the account name…',
  },
  AzureWebJobsStorage__blobServiceUri: { need: 'optional', meaning: '…or its blob endpoint…' },
  AzureWebJobsStorage__queueServiceUri: { need: 'optional', meaning: '…and queue endpoint.' },
  AzureWebJobsStorage__clientId: {
    need: 'optional',
    meaning: 'The user-assigned identity storage is reached with.',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTING_SPECS;

export type AzureDevOpsAuth =
  | { readonly kind: 'pat'; readonly token: string }
  /** Microsoft Entra token from DefaultAzureCredential (managed identity in Azure). */
  | { readonly kind: 'entra'; readonly managedIdentityClientId?: string };

export type StorageConnection =
  /** The SDK reads the endpoints from the connection string. */
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | {
      readonly kind: 'identity';
      readonly blobEndpoint: string;
      readonly queueEndpoint: string;
      /** User-assigned managed identity's client id, when the app uses one. */
      readonly clientId?: string;
    };

export type ReleaseConfig =
  | { readonly mode: 'pipeline'; readonly pipelineId: number; readonly buildResourceAlias: string }
  | { readonly mode: 'classic'; readonly definitionId: number; readonly artifactAlias: string };

/** Where flow events are published, and how the app authenticates there. */
export interface FlowEventsConfig {
  readonly endpoint: string;
  /** Plain `http://` to a loopback address (a local stand-in topic): the SDK must be allowed to. */
  readonly allowInsecureConnection: boolean;
  readonly auth:
    | { readonly kind: 'key'; readonly key: string }
    /** Microsoft Entra token from DefaultAzureCredential (managed identity in Azure). */
    | { readonly kind: 'entra'; readonly managedIdentityClientId?: string };
}

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
  readonly release: ReleaseConfig & { readonly onPartialSuccess: boolean };
  /** Absent: flow events are off. */
  readonly flowEvents?: FlowEventsConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Names, versions and containers share this conservative pattern so they are safe anywhere. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const GITHUB_REPOSITORY = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
const STORAGE_ACCOUNT_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[^/]+$/i;
/** What App Service leaves in a setting when it cannot resolve a Key Vault reference. */
const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;

/** Reads and validates every setting; throws a ConfigError naming the first bad one. */
export function loadConfig(env: Env = process.env): AppConfig {
  const settings = new Settings(env);
  const secret = settings.required('GITHUB_WEBHOOK_SECRET');
  const previousSecret = settings.optional('GITHUB_WEBHOOK_SECRET_PREVIOUS');
  const pat = settings.optional('AZURE_DEVOPS_PAT');
  const clientId = settings.optional('AZURE_CLIENT_ID');
  const config: AppConfig = {
    azureDevOps: {
      orgUrl: settings.url('AZURE_DEVOPS_ORG_URL', settings.required('AZURE_DEVOPS_ORG_URL')),
      project: settings.required('AZURE_DEVOPS_PROJECT'),
      auth:
        pat !== undefined
          ? { kind: 'pat', token: pat }
          : { kind: 'entra', ...(clientId === undefined ? {} : { managedIdentityClientId: clientId }) },
      buildPipelineId: settings.positiveInteger('BUILD_PIPELINE_ID'),
      timeoutSeconds: settings.positiveInteger('AZURE_DEVOPS_TIMEOUT_SECONDS'),
    },
    github: {
      webhookSecrets: previousSecret === undefined ? [secret] : [secret, previousSecret],
      repository: settings.matching('GITHUB_REPOSITORY', GITHUB_REPOSITORY, 'must be "owner/name"'),
      branches: settings.list('GITHUB_BRANCHES'),
      pathsInclude: settings.list('GITHUB_PATHS_INCLUDE'),
      pathsExclude: settings.list('GITHUB_PATHS_EXCLUDE'),
    },
    model: {
      name: settings.safeName('MODEL_NAME'),
      trigger: settings.oneOf('MODEL_TRIGGER', ['manifest', 'any-file']),
      storageResourceId: settings.matching(
        'MODEL_STORAGE_RESOURCE_ID',
        STORAGE_ACCOUNT_ID,
        'must be a storage account resource id (/subscriptions/…/resourceGroups/…/providers/Microsoft.Storage/storageAccounts/…)',
      ),
    },
    storage: {
      ...storageConnection(settings),
      modelsContainer: settings.matching(
        'MODELS_CONTAINER',
        CONTAINER_NAME,
        'is not a valid blob container name',
      ),
      ledgerContainer: settings.matching(
        'LEDGER_CONTAINER',
        CONTAINER_NAME,
        'is not a valid blob container name',
      ),
    },
    serviceHook: {
      username: settings.required('SERVICE_HOOK_USERNAME'),
      password: settings.required('SERVICE_HOOK_PASSWORD'),
    },
    release: {
      ...releaseConfig(settings),
      onPartialSuccess: settings.oneOf('RELEASE_ON_PARTIAL_SUCCESS', ['true', 'false']) === 'true',
    },
    ...flowEventsConfig(settings, clientId),
  };
  return deepFreeze(config);
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

function flowEventsConfig(
  settings: Settings,
  clientId: string | undefined,
): { readonly flowEvents?: FlowEventsConfig } {
  const name = 'FLOW_EVENTS_TOPIC_ENDPOINT';
  const value = settings.optional(name);
  const key = settings.optional('FLOW_EVENTS_TOPIC_KEY');
  if (value === undefined) {
    if (key !== undefined) throw new ConfigError(name, 'is required when FLOW_EVENTS_TOPIC_KEY is set');
    return {};
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, 'must be an absolute https URL');
  }
  const loopback = LOOPBACK_HOST.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new ConfigError(
      name,
      'must be an https URL (http:// only to a loopback address, for a local topic)',
    );
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw new ConfigError(name, 'must not carry credentials, a query or a fragment');
  if (url.protocol === 'http:' && key === undefined)
    throw new ConfigError(
      'FLOW_EVENTS_TOPIC_KEY',
      'is required with an http:// topic endpoint (Microsoft Entra tokens are sent over https only)',
    );
  return {
    flowEvents: {
      endpoint: url.href,
      allowInsecureConnection: url.protocol === 'http:',
      auth:
        key !== undefined
          ? { kind: 'key', key }
          : { kind: 'entra', ...(clientId === undefined ? {} : { managedIdentityClientId: clientId }) },
    },
  };
}

function storageConnection(settings: Settings): StorageConnection {
  const connectionString = settings.optional('AzureWebJobsStorage');
  if (connectionString !== undefined) {
    if (
      connectionString !== 'UseDevelopmentStorage=true' &&
      !/(^|;)\s*(AccountName|BlobEndpoint)\s*=/i.test(connectionString)
    )
      throw new ConfigError(
        'AzureWebJobsStorage',
        'is not a storage connection string (no AccountName or BlobEndpoint)',
      );
    return { kind: 'connectionString', connectionString };
  }
  const clientId = settings.optional('AzureWebJobsStorage__clientId');
  const identity = clientId === undefined ? {} : { clientId };
  const blobUri = settings.optional('AzureWebJobsStorage__blobServiceUri');
  if (blobUri !== undefined) {
    const blobEndpoint = settings.url('AzureWebJobsStorage__blobServiceUri', blobUri);
    const queueUri = settings.optional('AzureWebJobsStorage__queueServiceUri');
    const queueEndpoint =
      queueUri === undefined
        ? blobEndpoint.replace('.blob.', '.queue.')
        : settings.url('AzureWebJobsStorage__queueServiceUri', queueUri);
    return { kind: 'identity', blobEndpoint, queueEndpoint, ...identity };
  }
  const accountName = settings.optional('AzureWebJobsStorage__accountName');
  if (accountName !== undefined) {
    if (!/^[a-z0-9]{3,24}$/.test(accountName))
      throw new ConfigError('AzureWebJobsStorage__accountName', 'is not a valid storage account name');
    // As the Functions host reads `__accountName`: the public cloud's endpoints.
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

function releaseConfig(settings: Settings): ReleaseConfig {
  if (settings.oneOf('RELEASE_MODE', ['pipeline', 'classic']) === 'pipeline') {
    return {
      mode: 'pipeline',
      pipelineId: settings.positiveInteger('RELEASE_PIPELINE_ID', 'RELEASE_MODE is pipeline'),
      buildResourceAlias: settings.safeName('RELEASE_BUILD_RESOURCE_ALIAS'),
    };
  }
  return {
    mode: 'classic',
    definitionId: settings.positiveInteger('RELEASE_DEFINITION_ID', 'RELEASE_MODE is classic'),
    artifactAlias: settings.safeName('RELEASE_ARTIFACT_ALIAS'),
  };
}

/** Reading one setting at a time, each failure naming the setting. */
class Settings {
  constructor(private readonly env: Env) {}

  /** The value, or the setting's default, or `undefined`. */
  optional(name: SettingName): string | undefined {
    const value = this.env[name]?.trim();
    if (value === undefined || value === '') {
      const spec: SettingSpec = SETTING_SPECS[name];
      return spec.default;
    }
    if (KEY_VAULT_REFERENCE.test(value)) {
      throw new ConfigError(
        name,
        "is an unresolved Key Vault reference: the app has no access to the secret yet (a role assignment still propagating, or a wrong secret URI). Check the reference status under the app's Environment variables, then restart the app.",
      );
    }
    return value;
  }

  required(name: SettingName, when?: string): string {
    const value = this.optional(name);
    if (value === undefined)
      throw new ConfigError(
        name,
        when === undefined ? 'is required but not set' : `is required when ${when}`,
      );
    return value;
  }

  positiveInteger(name: SettingName, when?: string): number {
    const value = this.required(name, when);
    if (!/^[1-9][0-9]{0,9}$/.test(value))
      throw new ConfigError(name, `must be a positive integer, got "${value}"`);
    return Number(value);
  }

  url(name: SettingName, value: string): string {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(name, 'must be an absolute http(s) URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new ConfigError(name, 'must be an absolute http(s) URL');
    return url.href.replace(/\/+$/, '');
  }

  list(name: SettingName): readonly string[] {
    const value = this.optional(name);
    if (value === undefined) return [];
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    if (items.length === 0) throw new ConfigError(name, 'must list at least one value');
    return items;
  }

  oneOf<const T extends string>(name: SettingName, allowed: readonly T[]): T {
    const value = this.required(name);
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined)
      throw new ConfigError(name, `must be one of ${allowed.join(', ')}; got "${value}"`);
    return match;
  }

  matching(name: SettingName, pattern: RegExp, problem: string): string {
    const value = this.required(name);
    if (!pattern.test(value)) throw new ConfigError(name, `${problem}, got "${value}"`);
    return value;
  }

  safeName(name: SettingName): string {
    return this.matching(
      name,
      SAFE_NAME,
      'may hold only letters, digits, ".", "_" and "-" (at most 63 characters)',
    );
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
