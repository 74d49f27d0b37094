import type { IRequestOptions } from 'azure-devops-node-api/interfaces/common/VsoBaseInterfaces.js';
import type { WebApi } from 'azure-devops-node-api';
import type { IBuildApi } from 'azure-devops-node-api/BuildApi.js';
import type { IPipelinesApi } from 'azure-devops-node-api/PipelinesApi.js';
import type { IReleaseApi } from 'azure-devops-node-api/ReleaseApi.js';
import type { AzureDevOpsAuth } from '../../config.js';
import { InfrastructureError } from '../../errors.js';

/** Azure DevOps' application id: tokens for this scope are accepted by every ADO REST API. */
export const AZURE_DEVOPS_SCOPE = '499b84ac-1321-427f-aa17-267ca6975798/.default';

/** Refresh an Entra token this long before it expires, so no call goes out with a dying token. */
const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

export interface TokenSource {
  getToken(scope: string): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

export interface AzureDevOpsConnectionOptions {
  readonly orgUrl: string;
  readonly auth: AzureDevOpsAuth;
  /** Per-request socket timeout. */
  readonly requestTimeoutMs?: number;
  /** Test seam: where Entra tokens come from (default: DefaultAzureCredential). */
  readonly tokenSource?: TokenSource;
  readonly now?: () => number;
}

/**
 * Hands out a `WebApi` with valid credentials. The client library's bearer handler holds a
 * fixed token string, so with Entra auth a new `WebApi` is built whenever the token is renewed.
 */
export class AzureDevOpsConnection {
  private cached: { api: WebApi; token: string | undefined; expiresAt: number } | undefined;
  private pending: Promise<WebApi> | undefined;
  private tokenSource: TokenSource | undefined;
  private readonly now: () => number;

  constructor(private readonly options: AzureDevOpsConnectionOptions) {
    this.tokenSource = options.tokenSource;
    this.now = options.now ?? Date.now;
  }

  /**
   * API clients, one per WebApi: each discovers its locations (an OPTIONS request) once,
   * instead of before every call.
   */
  async pipelines(): Promise<IPipelinesApi> {
    const api = await this.api();
    const clients = this.clientsOf(api);
    clients.pipelines ??= forgetOnFailure(api.getPipelinesApi(), () => delete clients.pipelines);
    return clients.pipelines;
  }

  async builds(): Promise<IBuildApi> {
    const api = await this.api();
    const clients = this.clientsOf(api);
    clients.builds ??= forgetOnFailure(api.getBuildApi(), () => delete clients.builds);
    return clients.builds;
  }

  async releases(): Promise<IReleaseApi> {
    const api = await this.api();
    const clients = this.clientsOf(api);
    clients.releases ??= forgetOnFailure(api.getReleaseApi(), () => delete clients.releases);
    return clients.releases;
  }

  private readonly clients = new WeakMap<WebApi, ApiClients>();

  private clientsOf(api: WebApi): ApiClients {
    let clients = this.clients.get(api);
    if (clients === undefined) {
      clients = {};
      this.clients.set(api, clients);
    }
    return clients;
  }

  async api(): Promise<WebApi> {
    const cached = this.cached;
    if (cached !== undefined && cached.expiresAt - TOKEN_REFRESH_MARGIN_MS > this.now()) return cached.api;
    // One refresh at a time: concurrent callers share it.
    this.pending ??= this.connect().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async connect(): Promise<WebApi> {
    const azdev = await import('azure-devops-node-api');
    const requestOptions: IRequestOptions = {
      socketTimeout: this.options.requestTimeoutMs ?? 30_000,
      // The client would retry GETs on its own; retries are ours to govern (and to count).
      allowRetries: false,
    };
    const auth = this.options.auth;
    if (auth.kind === 'pat') {
      const api = new azdev.WebApi(
        this.options.orgUrl,
        azdev.getPersonalAccessTokenHandler(auth.token),
        requestOptions,
      );
      this.cached = { api, token: undefined, expiresAt: Number.POSITIVE_INFINITY };
      return api;
    }
    const source = await this.entraTokenSource();
    let token: { token: string; expiresOnTimestamp: number } | null;
    try {
      token = await source.getToken(AZURE_DEVOPS_SCOPE);
    } catch (error) {
      throw new InfrastructureError(
        'ADO_AUTH_FAILED',
        'Could not get a Microsoft Entra token for Azure DevOps',
        {
          transient: true,
          cause: error,
        },
      );
    }
    if (token === null) {
      throw new InfrastructureError('ADO_AUTH_FAILED', 'No Microsoft Entra token for Azure DevOps', {
        transient: true,
      });
    }
    const api = new azdev.WebApi(this.options.orgUrl, azdev.getBearerHandler(token.token), requestOptions);
    this.cached = { api, token: token.token, expiresAt: token.expiresOnTimestamp };
    return api;
  }

  private async entraTokenSource(): Promise<TokenSource> {
    if (this.tokenSource === undefined) {
      const { DefaultAzureCredential } = await import('@azure/identity');
      const clientId =
        this.options.auth.kind === 'entra' ? this.options.auth.managedIdentityClientId : undefined;
      this.tokenSource = new DefaultAzureCredential(
        clientId === undefined ? {} : { managedIdentityClientId: clientId },
      );
    }
    return this.tokenSource;
  }
}

interface ApiClients {
  pipelines?: Promise<IPipelinesApi>;
  builds?: Promise<IBuildApi>;
  releases?: Promise<IReleaseApi>;
}

/** A failed discovery is not cached: the next call tries again. */
function forgetOnFailure<T>(pending: Promise<T>, forget: () => void): Promise<T> {
  pending.catch(forget);
  return pending;
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/**
 * Maps what the client library throws to a typed error. `mutating` calls (POST) whose
 * request may have reached Azure DevOps are marked ambiguous: the run may exist.
 */
export function toAzureDevOpsError(
  error: unknown,
  operation: string,
  mutating: boolean,
): InfrastructureError {
  if (error instanceof InfrastructureError) return error;
  const statusCode = readNumber(error, 'statusCode');
  if (statusCode !== undefined) {
    const retryAfterSeconds = retryAfterOf(error);
    const base = { status: statusCode, cause: error };
    if (statusCode === 429) {
      return new InfrastructureError('ADO_THROTTLED', `${operation}: throttled by Azure DevOps (429)`, {
        ...base,
        transient: true,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      });
    }
    if (statusCode === 401 || statusCode === 403) {
      return new InfrastructureError(
        'ADO_AUTH_FAILED',
        `${operation}: Azure DevOps refused the credentials (${statusCode})`,
        {
          ...base,
          transient: false,
        },
      );
    }
    if (statusCode === 404) {
      return new InfrastructureError('ADO_NOT_FOUND', `${operation}: not found in Azure DevOps (404)`, {
        ...base,
        transient: false,
      });
    }
    if (statusCode === 408 || statusCode >= 500) {
      return new InfrastructureError('ADO_UNAVAILABLE', `${operation}: Azure DevOps answered ${statusCode}`, {
        ...base,
        transient: true,
        // A gateway error after the request was accepted may hide a created run.
        ambiguous: mutating && statusCode !== 503,
      });
    }
    return new InfrastructureError(
      'ADO_REJECTED',
      `${operation}: Azure DevOps rejected the request (${statusCode})`,
      {
        ...base,
        transient: false,
      },
    );
  }
  const message = error instanceof Error ? error.message : '';
  if (message.startsWith('Request timeout')) {
    return new InfrastructureError('ADO_TIMEOUT', `${operation}: no answer from Azure DevOps in time`, {
      transient: true,
      ambiguous: mutating,
      cause: error,
    });
  }
  const code = readString(error, 'code');
  if ((code !== undefined && NETWORK_ERROR_CODES.has(code)) || message.includes('socket hang up')) {
    return new InfrastructureError(
      'ADO_UNAVAILABLE',
      `${operation}: connection to Azure DevOps failed (${code ?? 'reset'})`,
      {
        transient: true,
        // A refused connection never reached the server; anything later may have.
        ambiguous: mutating && code !== 'ECONNREFUSED' && code !== 'ENOTFOUND' && code !== 'EAI_AGAIN',
        cause: error,
      },
    );
  }
  return new InfrastructureError('ADO_UNAVAILABLE', `${operation}: unexpected failure calling Azure DevOps`, {
    transient: true,
    ambiguous: mutating,
    cause: error,
  });
}

function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('responseHeaders' in error)) return undefined;
  const headers = error.responseHeaders;
  if (typeof headers !== 'object' || headers === null || !('retry-after' in headers)) return undefined;
  const value = headers['retry-after'];
  if (typeof value !== 'string') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function readNumber(source: unknown, key: string): number | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const value: unknown = Reflect.get(source, key);
  return typeof value === 'number' ? value : undefined;
}

function readString(source: unknown, key: string): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const value: unknown = Reflect.get(source, key);
  return typeof value === 'string' ? value : undefined;
}
