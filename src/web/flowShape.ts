/**
 * What the pages read of a flow: the JSON shape `GET /api/flows` answers (`flowView()` in
 * src/usecases/flowView.ts), written out structurally so the pages depend on that contract and
 * nothing else. The function passes `flowView(record)` here: if the API shape ever stops
 * matching, the compiler says so. Statuses and kinds are plain strings: a value the page does
 * not know is shown as it is, in a neutral colour.
 */
export interface ViewedFlow {
  readonly flowId: string;
  readonly status: string;
  readonly reason?: string | undefined;
  readonly model: {
    readonly name: string;
    readonly version?: string | undefined;
    readonly uri?: string | undefined;
    readonly sha256?: string | undefined;
  };
  readonly commit: string | null;
  readonly branch: string;
  readonly trigger: string;
  readonly triggers: readonly ViewedTrigger[];
  readonly build: ViewedBuild | null;
  readonly release: ViewedRelease | null;
  readonly lastError?: ViewedError | undefined;
  readonly history: readonly ViewedTransition[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ViewedTrigger {
  readonly kind: string;
  readonly source: string;
  readonly deliveryId: string;
  readonly at: string;
}

export interface ViewedBuild {
  readonly id: number;
  readonly url: string;
  readonly result?: string | undefined;
  readonly buildNumber?: string | undefined;
  readonly queuedAt?: string | undefined;
}

export interface ViewedRelease {
  readonly mode: string;
  readonly id: number;
  readonly url: string;
}

export interface ViewedError {
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

export interface ViewedTransition {
  readonly status: string;
  readonly at: string;
  readonly delivery: { readonly source: string; readonly id: string };
  readonly reason?: string | undefined;
}
