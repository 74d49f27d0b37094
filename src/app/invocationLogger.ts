import type { InvocationContext } from '@azure/functions';
import type { Logger } from '../ports/logger.js';

/** Log lines through the invocation context (any trigger), so they carry the invocation id in Application Insights. */
export function invocationLogger(context: InvocationContext): Logger {
  const format = (message: string, properties?: Readonly<Record<string, unknown>>): string =>
    properties === undefined ? message : `${message} ${JSON.stringify(properties)}`;
  return {
    info: (message, properties) => {
      context.info(format(message, properties));
    },
    warn: (message, properties) => {
      context.warn(format(message, properties));
    },
    error: (message, properties) => {
      context.error(format(message, properties));
    },
  };
}
