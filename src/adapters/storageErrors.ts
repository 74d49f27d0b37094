import { isRestError } from '@azure/core-rest-pipeline';
import { InfrastructureError, type InfrastructureErrorCode } from '../errors.js';

/** The HTTP status of a failed storage call, when the service answered one. */
export function storageStatusOf(error: unknown): number | undefined {
  return isRestError(error) ? error.statusCode : undefined;
}

/**
 * A failed storage call as the app's typed error, with the service's status and the cause; an
 * error that is already typed passes through. Transient unless the caller says otherwise.
 */
export function storageFailure(
  code: InfrastructureErrorCode,
  message: string,
  error: unknown,
  transient = true,
): InfrastructureError {
  if (error instanceof InfrastructureError) return error;
  const status = storageStatusOf(error);
  return new InfrastructureError(code, message, {
    transient,
    cause: error,
    ...(status === undefined ? {} : { status }),
  });
}
