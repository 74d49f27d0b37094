/** Azure DevOps service-hook subscriptions, as the operator's setup and checks need them. */

export type SubscriptionStatus =
  'enabled' | 'onProbation' | 'disabledByUser' | 'disabledBySystem' | 'disabledByInactiveIdentity';

/** A subscription as Azure DevOps lists it (secret consumer inputs come back masked). */
export interface HookSubscription {
  readonly id: string;
  readonly status: string;
  readonly publisherId: string;
  readonly eventType: string;
  readonly resourceVersion: string;
  readonly consumerId: string;
  readonly consumerActionId: string;
  readonly publisherInputs: Readonly<Record<string, string>>;
  readonly consumerInputs: Readonly<Record<string, string>>;
}

/** What a subscription is created or replaced with. */
export interface HookSubscriptionRequest {
  readonly publisherId: string;
  readonly eventType: string;
  readonly resourceVersion: string;
  readonly consumerId: string;
  readonly consumerActionId: string;
  readonly publisherInputs: Readonly<Record<string, string>>;
  readonly consumerInputs: Readonly<Record<string, string>>;
  readonly status: SubscriptionStatus;
}

export interface ServiceHookSubscriptions {
  /** The organisation's subscriptions to one event of one publisher. */
  list(filter: {
    readonly publisherId: string;
    readonly eventType: string;
  }): Promise<readonly HookSubscription[]>;
  create(request: HookSubscriptionRequest): Promise<HookSubscription>;
  replace(id: string, request: HookSubscriptionRequest): Promise<HookSubscription>;
}
