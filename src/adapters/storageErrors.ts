import { isRestError } from '@azure/core-rest-pipeline';

/** The HTTP status of a failed storage call, when the service answered one. */
export function storageStatusOf(error: unknown): number | undefined {
  return isRestError(error) ? error.statusCode : undefined;
}
