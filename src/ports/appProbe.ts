/** Reaching the deployed app the way Azure DevOps does (the operator's checks). */
export interface AppProbe {
  /**
   * Posts a notification the app acknowledges and ignores to its service-hook URL, with the
   * service-hook credentials: the status it answered, or why nothing answered.
   */
  pingServiceHook(
    url: string,
    credentials: { readonly username: string; readonly password: string },
  ): Promise<{ readonly status: number } | { readonly error: string }>;
}
