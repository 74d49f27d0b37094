// The user-assigned managed identity the Functions app runs as. It reaches storage, Key Vault and
// Application Insights through the role assignments in rbac.bicep, and Azure DevOps once it has
// been added to the organisation as a user (docs/deploy.md, step 4).

param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
