import type {
  EventGridFunctionOptions,
  HttpFunctionOptions,
  StorageQueueFunctionOptions,
  TimerFunctionOptions,
} from '@azure/functions';

/**
 * What a function file exports: its name and trigger options (handler included). The
 * Functions host registers it through `app.*`; the local host and the tests register the
 * very same object, so there is one implementation of every behaviour.
 */
export type FunctionDefinition =
  | {
      readonly kind: 'http';
      readonly name: string;
      readonly options: HttpFunctionOptions & { readonly route: string };
    }
  | { readonly kind: 'eventGrid'; readonly name: string; readonly options: EventGridFunctionOptions }
  | { readonly kind: 'storageQueue'; readonly name: string; readonly options: StorageQueueFunctionOptions }
  /** Timers are not run by the local host: tests invoke their handler directly. */
  | { readonly kind: 'timer'; readonly name: string; readonly options: TimerFunctionOptions };
