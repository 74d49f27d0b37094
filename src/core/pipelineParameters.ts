/**
 * The contract between this app and the AI app's pipelines (`infra/pipelines/*.yml`).
 * Every value is a string: Azure Pipelines `templateParameters` only carry strings.
 * Contract tests check these names against the YAML `parameters` blocks.
 */

export const BUILD_PARAMETER_NAMES = [
  'commit',
  'branch',
  'modelName',
  'modelVersion',
  'modelUri',
  'modelSha256',
  'flowId',
  'trigger',
] as const;

export type BuildParameterName = (typeof BUILD_PARAMETER_NAMES)[number];
export type BuildParameters = Readonly<Record<BuildParameterName, string>>;

export const RELEASE_PARAMETER_NAMES = [
  'buildId',
  'imageTag',
  'modelName',
  'modelVersion',
  'commit',
  'flowId',
] as const;

export type ReleaseParameterName = (typeof RELEASE_PARAMETER_NAMES)[number];
export type ReleaseParameters = Readonly<Record<ReleaseParameterName, string>>;
