// The Event Grid subscription that delivers model uploads to the `modelUploaded` function.
//
// Deployed to the resource group AFTER the code (azure.yaml hooks.postdeploy ->
// infra/hooks/postdeploy.sh), because Event Grid checks that the destination function exists, and it
// exists only once the code is deployed and the host has indexed it. The endpoint type is
// AzureFunction: Event Grid delivers to the function by its resource id (and validates the
// subscription itself), so no function or system key appears in a URL, a parameter or an output.
// Deploying it again updates it in place (idempotent).
//
// Everything else (system topic, dead-letter container and the topic's role on it) is created by
// main.bicep; this file only references them.

targetScope = 'resourceGroup'

param functionAppName string
param systemTopicName string
param storageAccountName string

@description('Name of the Event Grid-triggered function (src/functions).')
param functionName string = 'modelUploaded'

param modelsContainerName string = 'models'
param deadLetterContainerName string = 'eventgrid-deadletter'

@description('Name of the event subscription on the system topic.')
param subscriptionName string = 'model-uploaded'

@description('Delivery attempts before an event is dead-lettered (Event Grid backs off exponentially).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Minutes an undelivered event is retried before it is dead-lettered.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName

  resource function 'functions' existing = {
    name: functionName
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: subscriptionName
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: functionApp::function.id
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      subjectBeginsWith: '/blobServices/default/containers/${modelsContainerName}/blobs/'
      // Complete blobs only: PutBlob / PutBlockList (upload), CopyBlob (server-side copy),
      // FlushWithClose (ADLS Gen2). ADLS also emits a zero-byte CreateFile, which is left out.
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.api'
          values: ['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose']
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    // Undeliverable events land in the dead-letter container, written with the system topic's
    // own identity (Storage Blob Data Contributor on that container, see modules/eventgrid-topic.bicep).
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output EVENTGRID_SUBSCRIPTION_NAME string = subscription.name
