// Key Vault (RBAC mode) holding the app's secrets. The Functions app reads them through Key Vault
// references (@Microsoft.KeyVault(SecretUri=...)) resolved with its user-assigned identity, which
// holds Key Vault Secrets User on this vault (rbac.bicep). Versionless secret URIs are used so a
// rotated secret is picked up by the app without a redeployment.

param name string
param location string
param tags object

@description('Secret that GitHub signs webhook deliveries with (X-Hub-Signature-256).')
@secure()
param githubWebhookSecret string

@description('The previous GitHub webhook secret, accepted while a rotation is under way. Ignored unless storeGithubWebhookSecretPrevious.')
@secure()
param githubWebhookSecretPrevious string

param storeGithubWebhookSecretPrevious bool

@description('Password of the Azure DevOps service hook (basic authentication).')
@secure()
param serviceHookPassword string

@description('Azure DevOps personal access token. Ignored unless storeAzureDevOpsPat.')
@secure()
param azureDevOpsPat string

param storeAzureDevOpsPat bool

@description('Turn on purge protection (recommended in production; a purge-protected vault cannot be purged by `azd down --purge`).')
param enablePurgeProtection bool

// Names of the secrets; the app settings reference them by URI, docs/deploy.md by name.
var secretNames = {
  githubWebhookSecret: 'github-webhook-secret'
  githubWebhookSecretPrevious: 'github-webhook-secret-previous'
  serviceHookPassword: 'service-hook-password'
  azureDevOpsPat: 'azure-devops-pat'
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // ARM refuses `false` once set; leaving it out keeps it off.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource webhookSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: secretNames.githubWebhookSecret
  properties: {
    value: githubWebhookSecret
    contentType: 'text/plain'
  }
}

resource webhookSecretPrevious 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (storeGithubWebhookSecretPrevious) {
  parent: vault
  name: secretNames.githubWebhookSecretPrevious
  properties: {
    value: githubWebhookSecretPrevious
    contentType: 'text/plain'
  }
}

resource hookPassword 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: secretNames.serviceHookPassword
  properties: {
    value: serviceHookPassword
    contentType: 'text/plain'
  }
}

resource pat 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (storeAzureDevOpsPat) {
  parent: vault
  name: secretNames.azureDevOpsPat
  properties: {
    value: azureDevOpsPat
    contentType: 'text/plain'
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
output secretNames object = secretNames
// Versionless URIs of the secrets (empty when the secret is not stored); not the secrets themselves.
output secretUris object = {
  githubWebhookSecret: webhookSecret.properties.secretUri
  githubWebhookSecretPrevious: webhookSecretPrevious.?properties.secretUri ?? ''
  serviceHookPassword: hookPassword.properties.secretUri
  azureDevOpsPat: pat.?properties.secretUri ?? ''
}
