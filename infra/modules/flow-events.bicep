// Event Grid custom topic the app publishes its flow events to (docs/events.md): one CloudEvent per
// flow transition, input schema CloudEvents 1.0. Microsoft Entra authentication only (access keys
// disabled): the app's managed identity is its one sender (EventGrid Data Sender on this topic).
// Consumers (a Logic App, a Teams workflow, a function) subscribe to it; see docs/events.md.

param name string
param location string
param tags object

@description('Name of the app\'s user-assigned managed identity: the topic\'s sender.')
param appIdentityName string

var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7' // EventGrid Data Sender

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: appIdentityName
}

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    minimumTlsVersionAllowed: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource appSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, appIdentity.id, eventGridDataSender)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = topic.name
output id string = topic.id
// https://<topic>.<region>-1.eventgrid.azure.net/api/events: the app's FLOW_EVENTS_TOPIC_ENDPOINT.
output endpoint string = topic.properties.endpoint
