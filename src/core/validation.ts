/**
 * Allow-lists for every value that may reach a pipeline parameter or a blob name.
 * Anything else is refused before any Azure DevOps call: a value that passes here is
 * safe to pass on, whatever the pipeline does with it.
 */

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const MODEL_VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const COMMIT_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const BRANCH_NAME = /^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$/;

export function isSafeModelName(value: string): boolean {
  return MODEL_NAME.test(value);
}

export function isSafeModelVersion(value: string): boolean {
  return MODEL_VERSION.test(value) && !value.includes('..');
}

export function isCommitSha(value: string): boolean {
  return COMMIT_SHA.test(value);
}

/** Git allows far more in ref names; we accept what a release branch reasonably looks like. */
export function isSafeBranchName(value: string): boolean {
  return (
    BRANCH_NAME.test(value) &&
    !value.includes('..') &&
    !value.includes('//') &&
    !value.endsWith('/') &&
    !value.endsWith('.lock') &&
    !value.endsWith('.')
  );
}
