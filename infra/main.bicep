// Everything the CI/CD glue needs, provisioned by `azd up` (or `azd provision`).
// Plain resources in local modules only: CI compiles this file offline (scripts/lint-infra.sh).
//
// The Event Grid subscription that delivers model uploads to the `modelUploaded` function is not
// created here: Event Grid checks that the function exists, which it does only after the code is
// deployed. azd's postdeploy hook (azure.yaml) deploys infra/eventgrid.bicep for that.

targetScope = 'subscription'

// --- azd -------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('azd environment name; it seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource (it must offer the Flex Consumption plan).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Name of the resource group. Default: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of the person running azd (AZURE_PRINCIPAL_ID): may read the generated secrets, upload models (models container only) and read dead letters. Empty: none.')
param principalId string = ''

@allowed(['User', 'Group', 'ServicePrincipal'])
param principalType string = 'User'

// --- Azure DevOps --------------------------------------------------------------------------------

@description('Azure DevOps organisation URL, e.g. https://dev.azure.com/contoso.')
@minLength(1)
param azureDevOpsOrgUrl string

@description('Azure DevOps project holding the AI app\'s pipelines.')
@minLength(1)
param azureDevOpsProject string

@description('Id of the AI app\'s build pipeline (infra/pipelines/build.yml).')
@minValue(1)
param buildPipelineId int

@description('How a successful build is released: run the deploy pipeline, or create a classic release.')
@allowed(['pipeline', 'classic'])
param releaseMode string = 'pipeline'

@description('Id of the deploy pipeline (infra/pipelines/deploy.yml); required when releaseMode is pipeline.')
@minValue(0)
param releasePipelineId int = 0

@description('Alias of the build pipeline resource in deploy.yml (resources.pipelines[].pipeline).')
param releaseBuildResourceAlias string = 'build'

@description('Id of the classic release definition; required when releaseMode is classic.')
@minValue(0)
param releaseDefinitionId int = 0

@description('Alias of the build artifact in the classic release definition.')
param releaseArtifactAlias string = 'build'

@description('Also release builds that partially succeeded.')
param releaseOnPartialSuccess bool = false

@description('Azure DevOps personal access token. Empty (recommended): the app authenticates to Azure DevOps with its managed identity.')
@secure()
param azureDevOpsPat string = ''

@description('User name the Azure DevOps service hook authenticates with.')
@minLength(1)
param serviceHookUsername string = 'azure-devops'

// azd generates the two secrets below once per environment (metadata azd.type 'generate', 32
// letters and digits) unless SERVICE_HOOK_PASSWORD / GITHUB_WEBHOOK_SECRET name them in Key Vault
// (akvs://...): see main.parameters.json and test/contract/azd-parameters.test.ts.
@description('Password the Azure DevOps service hook authenticates with (azd generates one; stored in Key Vault).')
@secure()
@minLength(16)
@metadata({
  azd: { type: 'generate', config: { length: 32, noSpecial: true, minLower: 4, minUpper: 4, minNumeric: 4 } }
})
param serviceHookPassword string

// --- GitHub --------------------------------------------------------------------------------------

@description('The AI app\'s repository, owner/name. Pushes from any other repository are refused.')
@minLength(3)
param githubRepository string

@description('Comma-separated release branches (names or globs).')
param githubBranches string = 'main'

@description('Comma-separated path globs; a push builds only when a changed path matches one. Empty: every path.')
param githubPathsInclude string = ''

@description('Comma-separated path globs that never start a build. Empty: none.')
param githubPathsExclude string = ''

@description('Secret GitHub signs webhook deliveries with (azd generates one; stored in Key Vault).')
@secure()
@minLength(16)
@metadata({
  azd: { type: 'generate', config: { length: 32, noSpecial: true, minLower: 4, minUpper: 4, minNumeric: 4 } }
})
param githubWebhookSecret string

@description('The previous webhook secret, accepted while a rotation is under way. Empty: none.')
@secure()
param githubWebhookSecretPrevious string = ''

// --- Model ---------------------------------------------------------------------------------------

@description('The one model the AI app embeds (models/<modelName>/<version>/...).')
@minLength(1)
@maxLength(63)
param modelName string

@description('manifest: a version is complete when its model.json arrives; any-file: every blob is a version.')
@allowed(['manifest', 'any-file'])
param modelTrigger string = 'manifest'

@minLength(3)
@maxLength(63)
param modelsContainerName string = 'models'

@minLength(3)
@maxLength(63)
param ledgerContainerName string = 'flows'

@description('Object id of the service principal behind the build pipeline\'s Azure service connection; gets read access to the models container. Empty: grant it yourself.')
param pipelinePrincipalId string = ''

// --- Sizing --------------------------------------------------------------------------------------

@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_RAGRS', 'Standard_GZRS', 'Standard_RAGZRS'])
param storageSkuName string = 'Standard_LRS'

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

param keyVaultEnablePurgeProtection bool = false

// --- Names ---------------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var serviceName = 'api' // azure.yaml services.api
var functionAppName = 'func-${resourceToken}'
// Names are computed here (not taken from module outputs) so What-If can predict every resource id.
var identityName = 'id-${resourceToken}'
var storageAccountName = 'st${resourceToken}'
var keyVaultName = 'kv-${resourceToken}'
var applicationInsightsName = 'appi-${resourceToken}'
var deploymentContainerName = 'app-package'
var deadLetterContainerName = 'eventgrid-deadletter'
var workQueueName = 'flow-work'
var poisonQueueName = 'flow-work-poison'
var modelUploadedFunctionName = 'modelUploaded'

var hasAzureDevOpsPat = !empty(azureDevOpsPat)
var hasGithubWebhookSecretPrevious = !empty(githubWebhookSecretPrevious)

func keyVaultReference(secretUri string) string => '@Microsoft.KeyVault(SecretUri=${secretUri})'

resource rg 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: identityName
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: applicationInsightsName
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    skuName: storageSkuName
    modelsContainerName: modelsContainerName
    ledgerContainerName: ledgerContainerName
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    queueNames: [workQueueName, poisonQueueName]
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    githubWebhookSecret: githubWebhookSecret
    githubWebhookSecretPrevious: githubWebhookSecretPrevious
    storeGithubWebhookSecretPrevious: hasGithubWebhookSecretPrevious
    serviceHookPassword: serviceHookPassword
    azureDevOpsPat: azureDevOpsPat
    storeAzureDevOpsPat: hasAzureDevOpsPat
    enablePurgeProtection: keyVaultEnablePurgeProtection
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storageAccountName
    modelsContainerName: modelsContainerName
    deadLetterContainerName: deadLetterContainerName
    keyVaultName: keyVaultName
    applicationInsightsName: applicationInsightsName
    appIdentityName: identityName
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
    pipelinePrincipalId: pipelinePrincipalId
  }
  dependsOn: [identity, storage, keyVault, monitoring]
}

module eventGridTopic 'modules/eventgrid-topic.bicep' = {
  name: 'eventgrid-topic'
  scope: rg
  params: {
    name: 'evgt-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storageAccountName
    deadLetterContainerName: deadLetterContainerName
  }
  dependsOn: [storage]
}

// Flow events (docs/events.md): a custom topic the app's identity publishes to.
module flowEvents 'modules/flow-events.bicep' = {
  name: 'flow-events'
  scope: rg
  params: {
    name: 'evgt-flows-${resourceToken}'
    location: location
    tags: tags
    appIdentityName: identityName
  }
  dependsOn: [identity]
}

// The app's settings. Contract-tested (test/contract/app-settings.test.ts) against SETTINGS in
// src/config.ts: every required setting must be in `appSettings` (unconditional); every key of ours
// here must be a setting the app reads. Secrets are Key Vault references, never values.
var appSettings = {
  // Functions host storage by identity (shared keys are disabled on the account).
  AzureWebJobsStorage__accountName: storage.outputs.name
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  // The app's own DefaultAzureCredential (Azure DevOps tokens) picks the user-assigned identity.
  AZURE_CLIENT_ID: identity.outputs.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  AZURE_DEVOPS_ORG_URL: azureDevOpsOrgUrl
  AZURE_DEVOPS_PROJECT: azureDevOpsProject
  BUILD_PIPELINE_ID: string(buildPipelineId)
  // Per-request timeout; an unanswered request is reconciled before it is retried.
  AZURE_DEVOPS_TIMEOUT_SECONDS: '20'
  GITHUB_WEBHOOK_SECRET: keyVaultReference(keyVault.outputs.secretUris.githubWebhookSecret)
  GITHUB_REPOSITORY: githubRepository
  GITHUB_BRANCHES: githubBranches
  GITHUB_PATHS_INCLUDE: githubPathsInclude
  GITHUB_PATHS_EXCLUDE: githubPathsExclude
  MODEL_NAME: modelName
  MODEL_TRIGGER: modelTrigger
  MODEL_STORAGE_RESOURCE_ID: storage.outputs.id
  MODELS_CONTAINER: modelsContainerName
  LEDGER_CONTAINER: ledgerContainerName
  SERVICE_HOOK_USERNAME: serviceHookUsername
  SERVICE_HOOK_PASSWORD: keyVaultReference(keyVault.outputs.secretUris.serviceHookPassword)
  RELEASE_MODE: releaseMode
  RELEASE_BUILD_RESOURCE_ALIAS: releaseBuildResourceAlias
  RELEASE_ARTIFACT_ALIAS: releaseArtifactAlias
  RELEASE_ON_PARTIAL_SUCCESS: string(releaseOnPartialSuccess)
  // Published with the managed identity (no FLOW_EVENTS_TOPIC_KEY: the topic has no access keys).
  FLOW_EVENTS_TOPIC_ENDPOINT: flowEvents.outputs.endpoint
}

var missingReleasePipeline = 'releasePipelineId (RELEASE_PIPELINE_ID) is required when releaseMode is pipeline.'
var missingReleaseDefinition = 'releaseDefinitionId (RELEASE_DEFINITION_ID) is required when releaseMode is classic.'

// Settings present only when they have a value: the app treats an absent setting as "not set".
var conditionalAppSettings = union(
  hasAzureDevOpsPat ? { AZURE_DEVOPS_PAT: keyVaultReference(keyVault.outputs.secretUris.azureDevOpsPat) } : {},
  hasGithubWebhookSecretPrevious
    ? { GITHUB_WEBHOOK_SECRET_PREVIOUS: keyVaultReference(keyVault.outputs.secretUris.githubWebhookSecretPrevious) }
    : {},
  // The release target of the chosen mode is required: fail the deployment rather than the app's start.
  releaseMode == 'pipeline'
    ? { RELEASE_PIPELINE_ID: releasePipelineId > 0 ? string(releasePipelineId) : fail(missingReleasePipeline) }
    : { RELEASE_DEFINITION_ID: releaseDefinitionId > 0 ? string(releaseDefinitionId) : fail(missingReleaseDefinition) }
)

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    planName: 'plan-${resourceToken}'
    appName: functionAppName
    location: location
    tags: tags
    serviceName: serviceName
    identityId: identity.outputs.id
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    appSettings: union(appSettings, conditionalAppSettings)
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  // The identity must hold its roles before the host starts (storage, Key Vault references).
  dependsOn: [rbac]
}

// --- Outputs (azd stores them in .azure/<env>/.env; hooks and docs/deploy.md use them) -----------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_MANAGED_IDENTITY_NAME string = identity.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_ACCOUNT_ID string = storage.outputs.id
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_URI string = keyVault.outputs.uri
output AZURE_EVENTGRID_SYSTEM_TOPIC_NAME string = eventGridTopic.outputs.name
output EVENTGRID_FUNCTION_NAME string = modelUploadedFunctionName
output EVENTGRID_DEADLETTER_CONTAINER string = deadLetterContainerName
output MODELS_CONTAINER string = modelsContainerName
output LEDGER_CONTAINER string = ledgerContainerName
output FLOW_WORK_QUEUE string = workQueueName
output FLOW_WORK_POISON_QUEUE string = poisonQueueName
output SERVICE_HOOK_USERNAME string = serviceHookUsername
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString
