/**
 * Public types of the Azure DevOps emulator. `server.ts` re-exports all of them.
 */

export interface AdoEmulatorOptions {
  /** 0 = ephemeral (default 0). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Accepted as the basic-auth password (any user name). Any non-empty Bearer token is accepted too. */
  pat: string;
  seed?: readonly EmulatorProjectSeed[];
  /**
   * `required` (default): refuse to start without the conformance corpus (tests, CI).
   * `when-available`: without it, start anyway and check no request against the specs (sandbox).
   */
  specs?: 'required' | 'when-available';
}

export interface EmulatorProjectSeed {
  org: string;
  project: string;
  pipelines?: readonly EmulatorPipelineSeed[];
  releaseDefinitions?: readonly EmulatorReleaseDefinitionSeed[];
}

/**
 * A YAML pipeline. Give its YAML (`yaml`, parsed for `parameters` and `resources.pipelines`) or
 * only its declared `parameters`; with neither, the pipeline declares no parameters and every
 * template parameter is refused, like the service does.
 */
export interface EmulatorPipelineSeed {
  id: number;
  name: string;
  yaml?: string;
  parameters?: readonly PipelineParameterSeed[];
  /** Shown as the pipeline's configuration path. Default `azure-pipelines.yml`. */
  yamlPath?: string;
}

export interface PipelineParameterSeed {
  name: string;
  type?: string;
  default?: unknown;
  values?: readonly string[];
}

/** A classic release definition. */
export interface EmulatorReleaseDefinitionSeed {
  id: number;
  name: string;
  /** Build artifact sources: `alias` → the build pipeline `pipelineId`. */
  artifacts?: readonly { alias: string; pipelineId: number }[];
  /** Release-scope variables; `allowOverride` is "Settable at release time". */
  variables?: Readonly<Record<string, { value?: string; allowOverride?: boolean; isSecret?: boolean }>>;
  /** Stages. Default one stage `{ id: 1, name: 'Stage 1' }`. */
  environments?: readonly { id: number; name: string }[];
}

export interface RecordedRequest {
  method: string;
  /** URL path as received, e.g. `/myorg/myproject/_apis/pipelines/1/runs` or `/vsrm/myorg/…`. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body; the raw text when it was not JSON; undefined when empty. */
  body: unknown;
  /**
   * Status the emulator produced. For `timeout` and `reset-after` faults this is the status of the
   * processed request that the client never received; for `reset` it is 0.
   */
  status: number;
  at: string;
  /** Fault kind applied to this request, if any. */
  fault?: string;
  /** False when no response reached the client (reset, reset-after, timeout). */
  responded?: boolean;
  /** api-version from the query string or the Accept header, when present. */
  apiVersion?: string;
}

export interface HookDelivery {
  subscriptionId: string;
  url: string;
  eventType: string;
  notificationId: number;
  status: number | 'error';
  attempt: number;
  at: string;
  /** What the event was about: the build id (build.complete) or the release id (deployment completed). */
  resourceId?: number;
  /** Network error message when status is 'error'. */
  error?: string;
}

export type FaultKind = '429' | '500' | '502' | '503' | 'timeout' | 'reset' | 'reset-after';

export interface FaultSettings {
  /** Chance (0..1) that a matching request gets a fault. Default 1. Ignored when `next` is set. */
  probability?: number;
  /** Kinds to pick from (uniformly at random; in order, cycling, when `next` is set). Default ['503']. */
  kinds?: readonly FaultKind[];
  /** Only requests with these methods (case-insensitive). Default: all. */
  methods?: readonly string[];
  /** Only requests whose path contains this (case-insensitive). */
  pathIncludes?: string;
  /** Fault exactly the next N matching requests, then stop faulting. */
  next?: number;
  /** Retry-After seconds for 429/503. Default 1. */
  retryAfterSeconds?: number;
  /**
   * Also fault location discovery (OPTIONS /_apis/{area}, ResourceAreas, connectionData).
   * Default false: the client library discovers locations before its first call on each API
   * object, and faulting those makes `next` counting depend on the client's cache state.
   */
  includeDiscovery?: boolean;
  /** Seed for the fault PRNG (mulberry32); default: seeded from Math.random. */
  randomSeed?: number;
}

export interface AdoEmulator {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** `${url}/${org}` */
  orgUrl(org: string): string;
  /** ADO-namespace requests only, in order. */
  requests(): readonly RecordedRequest[];
  deliveries(): readonly HookDelivery[];
  /** Resolves once no service-hook notification is being delivered (its retries included). */
  deliveriesSettled(): Promise<void>;
  setFaults(faults: FaultSettings | null): void;
  /** Clears runs, builds, releases, subscriptions, requests, deliveries and faults; keeps seeds. */
  reset(): void;
  /** Closes the server and every open socket (including held "timeout" sockets). */
  close(): Promise<void>;
}
