/**
 * Flow events: every transition in a flow's `history` becomes one CloudEvents 1.0 event
 * (docs/events.md). Pure: which events a flow owes, and what each says. Publishing them and
 * recording how far that got are the use cases' (usecases/flowEvents.ts).
 *
 * An event's id is the flow id and the transition's index in `history`: whoever publishes a
 * transition — the instance that wrote it, another one that touched the flow next, the
 * sweeper — publishes the same id, so consumers dedupe on it.
 */
import type { BuildRef, FlowRecord, FlowStatus, ModelRef, ReleaseRef, TriggerKind } from './flow.js';

/** `type` of every flow event: this prefix and the status the transition led to. */
export const FLOW_EVENT_TYPE_PREFIX = 'ai-app-cicd.flow.';

/** What a flow event's `data` holds: the flow as far as the transition's status goes. */
export interface FlowEventData {
  readonly flowId: string;
  /** The transition's index in the flow's history (0: the flow was created). */
  readonly sequence: number;
  readonly status: FlowStatus;
  readonly reason?: string;
  /** When the transition happened (also the event's `time`). */
  readonly at: string;
  readonly model: {
    readonly name: string;
    readonly version?: string;
    /** The model's blob URL, never with a query string (no SAS token). */
    readonly uri?: string;
    readonly sha256?: string;
  };
  readonly commit?: string;
  readonly branch: string;
  readonly trigger: TriggerKind;
  readonly build?: {
    readonly id: number;
    readonly url: string;
    readonly buildNumber?: string;
    readonly result?: string;
  };
  readonly release?: { readonly mode: ReleaseRef['mode']; readonly id: number; readonly url: string };
}

/** One flow event: the CloudEvents 1.0 context attributes the app sets, and its data. */
export interface FlowEvent {
  /** `<flowId>-<sequence>`: the same for every publication of one transition. */
  readonly id: string;
  /** `ai-app-cicd.flow.<status>`. */
  readonly type: string;
  /** `/ai-app-cicd/<owner>/<repo>/models/<model>`: this app. */
  readonly source: string;
  /** `flows/<flowId>`. */
  readonly subject: string;
  /** The transition's time, ISO 8601. */
  readonly time: string;
  readonly data: FlowEventData;
}

export function flowEventId(flowId: string, sequence: number): string {
  return `${flowId}-${sequence}`;
}

export function flowEventType(status: FlowStatus): string {
  return `${FLOW_EVENT_TYPE_PREFIX}${status}`;
}

/** The app as an event source: its repository and its model (both validated names). */
export function flowEventSource(repository: string, modelName: string): string {
  return `/ai-app-cicd/${repository}/models/${modelName}`;
}

/** Whether the flow's events are published at all: only flows created while events were on. */
export function tracksEvents(flow: FlowRecord): boolean {
  return flow.eventsPublished !== undefined;
}

/** How many of the flow's transitions are still to be published (0 when events are not tracked). */
export function pendingEventCount(flow: FlowRecord): number {
  return flow.eventsPublished === undefined ? 0 : Math.max(0, flow.history.length - flow.eventsPublished);
}

/** The flow with its events tracked from the start (set when it is created with events on). */
export function withEventsTracked(flow: FlowRecord): FlowRecord {
  return flow.eventsPublished === undefined ? { ...flow, eventsPublished: 0 } : flow;
}

/** The flow recording that its first `count` transitions were published (never fewer than already recorded). */
export function withEventsPublished(flow: FlowRecord, count: number): FlowRecord {
  const published = Math.min(flow.history.length, Math.max(flow.eventsPublished ?? 0, count));
  return published === flow.eventsPublished ? flow : { ...flow, eventsPublished: published };
}

/** The events of the transitions not yet published, oldest first. */
export function pendingFlowEvents(flow: FlowRecord, source: string): readonly FlowEvent[] {
  if (flow.eventsPublished === undefined) return [];
  return flow.history
    .slice(flow.eventsPublished)
    .map((_, offset) => flowEventAt(flow, (flow.eventsPublished ?? 0) + offset, source));
}

/** The event of the transition at `sequence` in the flow's history. */
export function flowEventAt(flow: FlowRecord, sequence: number, source: string): FlowEvent {
  const entry = flow.history[sequence];
  if (entry === undefined) throw new RangeError(`Flow ${flow.flowId} has no transition ${sequence}`);
  const phase = PHASE[entry.status];
  const data: FlowEventData = {
    flowId: flow.flowId,
    sequence,
    status: entry.status,
    ...(entry.reason === undefined ? {} : { reason: entry.reason }),
    at: entry.at,
    model: phase >= PHASE['build-queued'] ? modelData(flow.modelName, flow.model) : { name: flow.modelName },
    ...(flow.commit === undefined ? {} : { commit: flow.commit }),
    branch: flow.branch,
    trigger: flow.trigger,
    ...(phase >= PHASE['build-started'] && flow.build !== undefined
      ? { build: buildData(flow.build, phase >= PHASE['build-succeeded']) }
      : {}),
    ...(phase >= PHASE.releasing && flow.release !== undefined
      ? {
          release: { mode: flow.release.mode, id: flow.release.id, url: flow.release.url },
        }
      : {}),
  };
  return {
    id: flowEventId(flow.flowId, sequence),
    type: flowEventType(entry.status),
    source,
    subject: `flows/${flow.flowId}`,
    time: entry.at,
    data,
  };
}

/**
 * How far along a status is: an event says only what its transition knew (a build-queued
 * event has no build, even when published after the build started). Side exits say all the
 * flow has.
 */
const PHASE: Readonly<Record<FlowStatus, number>> = {
  'waiting-for-model': 0,
  'build-queued': 1,
  'build-started': 2,
  'build-succeeded': 3,
  'build-failed': 3,
  'build-canceled': 3,
  superseded: 3,
  releasing: 4,
  released: 4,
  skipped: 4,
  failed: 4,
};

function modelData(name: string, model: ModelRef | undefined): FlowEventData['model'] {
  if (model === undefined) return { name };
  return { name: model.name, version: model.version, uri: withoutQuery(model.uri), sha256: model.sha256 };
}

function buildData(build: BuildRef, done: boolean): NonNullable<FlowEventData['build']> {
  return {
    id: build.id,
    // Azure DevOps' own web link (its `?buildId=` is the link, not a secret).
    url: build.url,
    ...(build.buildNumber === undefined ? {} : { buildNumber: build.buildNumber }),
    ...(done && build.result !== undefined ? { result: build.result } : {}),
  };
}

/**
 * A blob URL without its query, fragment or user info: model URIs are stored without their
 * SAS token already, and an event must never carry one.
 */
export function withoutQuery(url: string): string {
  if (!/[?#@]/.test(url)) return url;
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return url.replace(/[?#].*$/s, '');
  }
}
