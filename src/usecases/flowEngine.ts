import {
  transition,
  withTrigger,
  type DeliveryRef,
  type FlowRecord,
  type FlowTrigger,
  type ModelRef,
  type TriggerKind,
} from '../core/flow.js';
import { flowIdOf } from '../core/flowId.js';
import type { BuildParameters } from '../core/pipelineParameters.js';
import { describeError, InfrastructureError } from '../errors.js';
import type { AzureDevOps } from '../ports/azureDevOps.js';
import type { FlowLedger, Versioned } from '../ports/flowLedger.js';
import type { Logger } from '../ports/logger.js';

export interface BuildIntent {
  readonly model: ModelRef;
  /** Absent when no push of the branch was ever seen: Azure DevOps builds the branch head. */
  readonly commit?: string;
  readonly branch: string;
  readonly trigger: TriggerKind;
  readonly delivery: DeliveryRef;
}

export type BuildOutcome =
  | { readonly kind: 'started'; readonly flow: FlowRecord }
  | { readonly kind: 'already-started'; readonly flow: FlowRecord }
  /** Another delivery owns the flow's pending build call right now. */
  | { readonly kind: 'in-progress'; readonly flow: FlowRecord };

export interface FlowEngineDeps {
  readonly ledger: FlowLedger;
  readonly devops: AzureDevOps;
  readonly logger: Logger;
  readonly buildPipelineId: number;
  readonly now?: () => Date;
  /** How long one delivery owns a flow's build call before another may take over. */
  readonly claimMs?: number;
}

/**
 * The one place that turns a (model, commit) into a build: claim the flow record first
 * (conditional create), then call Azure DevOps, then record the run. Whoever loses the
 * claim does not start anything.
 */
export class FlowEngine {
  private readonly now: () => Date;
  private readonly claimMs: number;

  constructor(private readonly deps: FlowEngineDeps) {
    this.now = deps.now ?? (() => new Date());
    this.claimMs = deps.claimMs ?? 120_000;
  }

  flowIdFor(intent: Pick<BuildIntent, 'model' | 'commit' | 'branch'>): string {
    return flowIdOf(intent.model.name, intent.model.version, intent.commit ?? `refs/heads/${intent.branch}`);
  }

  async requestBuild(intent: BuildIntent): Promise<BuildOutcome> {
    const flowId = this.flowIdFor(intent);
    const at = this.now().toISOString();
    const claimed = await this.deps.ledger.createFlow(this.newFlow(flowId, intent, at));
    if (claimed !== 'exists') return this.startBuild(claimed, intent.delivery);

    // Someone got here first: note this delivery, and take over only a failed or abandoned claim.
    for (;;) {
      const current = await this.deps.ledger.getFlow(flowId);
      if (current === undefined)
        throw new InfrastructureError('LEDGER_CONFLICT', `Flow ${flowId} vanished`, { transient: true });
      const trigger: FlowTrigger = { kind: intent.trigger, delivery: intent.delivery, at };
      const flow = withTrigger(current.value, trigger);
      if (flow.build !== undefined) {
        await this.saveIfChanged(current, flow, trigger);
        return { kind: 'already-started', flow };
      }
      const abandoned =
        flow.claimedUntil === undefined || Date.parse(flow.claimedUntil) <= this.now().getTime();
      if (flow.status !== 'failed' && !(flow.status === 'build-queued' && abandoned)) {
        await this.saveIfChanged(current, flow, trigger);
        return { kind: 'in-progress', flow };
      }
      const retry = transition(flow, 'build-queued', intent.delivery, at, {
        attempts: flow.attempts + 1,
        claimedUntil: new Date(this.now().getTime() + this.claimMs).toISOString(),
      });
      const saved = await this.deps.ledger.replaceFlow(retry, current.etag);
      if (saved !== 'conflict') return this.startBuild(saved, intent.delivery);
    }
  }

  private async startBuild(claimed: Versioned<FlowRecord>, delivery: DeliveryRef): Promise<BuildOutcome> {
    const flow = claimed.value;
    const model = flow.model;
    if (model === undefined) throw new Error(`Flow ${flow.flowId} has no model to build with`);
    const parameters: BuildParameters = {
      commit: flow.commit ?? '',
      branch: flow.branch,
      modelName: model.name,
      modelVersion: model.version,
      modelUri: model.uri,
      modelSha256: model.sha256,
      flowId: flow.flowId,
      trigger: flow.trigger,
    };
    let run;
    try {
      run = await this.deps.devops.runBuildPipeline({
        pipelineId: this.deps.buildPipelineId,
        branch: flow.branch,
        ...(flow.commit === undefined ? {} : { commit: flow.commit }),
        parameters,
      });
    } catch (error) {
      await this.recordFailure(claimed, delivery, error);
      throw error;
    }
    const at = this.now().toISOString();
    const started = await this.update(claimed, (current) =>
      transition(current, 'build-started', delivery, at, {
        build: { id: run.id, url: run.url, queuedAt: at },
        ...(current.commit === undefined && run.commit !== undefined ? { commit: run.commit } : {}),
      }),
    );
    this.deps.logger.info('Build started', {
      flowId: flow.flowId,
      runId: run.id,
      commit: parameters.commit,
      model: `${model.name}@${model.version}`,
    });
    return { kind: 'started', flow: started };
  }

  private async recordFailure(
    claimed: Versioned<FlowRecord>,
    delivery: DeliveryRef,
    error: unknown,
  ): Promise<void> {
    const at = this.now().toISOString();
    const code = error instanceof InfrastructureError ? error.code : 'UNEXPECTED';
    this.deps.logger.warn('Starting the build failed', {
      flowId: claimed.value.flowId,
      code,
      error: describeError(error),
    });
    try {
      await this.update(claimed, (current) =>
        transition(current, 'failed', delivery, at, {
          lastError: { code, message: describeError(error), at },
          reason: 'build-start-failed',
        }),
      );
    } catch (recordError) {
      // The original failure matters more; the claim expires on its own.
      this.deps.logger.error('Could not record the failure', {
        flowId: claimed.value.flowId,
        error: describeError(recordError),
      });
    }
  }

  /** Applies `change` to the newest version of the flow, retrying on concurrent writes. */
  async update(start: Versioned<FlowRecord>, change: (flow: FlowRecord) => FlowRecord): Promise<FlowRecord> {
    let current = start;
    for (;;) {
      const next = change(current.value);
      const saved = await this.deps.ledger.replaceFlow(next, current.etag);
      if (saved !== 'conflict') return saved.value;
      const reread = await this.deps.ledger.getFlow(current.value.flowId);
      if (reread === undefined)
        throw new InfrastructureError('LEDGER_CONFLICT', `Flow ${current.value.flowId} vanished`, {
          transient: true,
        });
      current = reread;
    }
  }

  /** Records one more delivery of an existing flow (redeliveries are already there: no write). */
  private async saveIfChanged(
    current: Versioned<FlowRecord>,
    next: FlowRecord,
    trigger: FlowTrigger,
  ): Promise<void> {
    if (next === current.value) return;
    await this.update(current, (flow) => withTrigger(flow, trigger));
  }

  private newFlow(flowId: string, intent: BuildIntent, at: string): FlowRecord {
    return {
      schemaVersion: 1,
      flowId,
      status: 'build-queued',
      model: intent.model,
      modelName: intent.model.name,
      ...(intent.commit === undefined ? {} : { commit: intent.commit }),
      branch: intent.branch,
      trigger: intent.trigger,
      triggers: [{ kind: intent.trigger, delivery: intent.delivery, at }],
      attempts: 1,
      claimedUntil: new Date(this.now().getTime() + this.claimMs).toISOString(),
      history: [{ status: 'build-queued', at, delivery: intent.delivery }],
      createdAt: at,
      updatedAt: at,
    };
  }
}
