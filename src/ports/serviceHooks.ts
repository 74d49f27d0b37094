/** Azure DevOps service-hook subscriptions, as the operator's setup and checks need them. */
import type { ListedSubscription } from '../core/serviceHookSetup.js';

export type SubscriptionStatus =
  'enabled' | 'onProbation' | 'disabledByUser' | 'disabledBySystem' | 'disabledByInactiveIdentity';

/** A subscription as Azure DevOps lists it (secret consumer inputs come back masked). */
export type HookSubscription = ListedSubscription;

/** What a subscription is created or replaced with. */
export type HookSubscriptionRequest = Omit<ListedSubscription, 'id' | 'status'> & {
  readonly status: SubscriptionStatus;
};

export interface ServiceHookSubscriptions {
  /** The organisation's subscriptions to one event of one publisher. */
  list(filter: {
    readonly publisherId: string;
    readonly eventType: string;
  }): Promise<readonly HookSubscription[]>;
  create(request: HookSubscriptionRequest): Promise<HookSubscription>;
  replace(id: string, request: HookSubscriptionRequest): Promise<HookSubscription>;
}
