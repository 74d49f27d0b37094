#!/bin/sh
# azd hook (azure.yaml hooks.postdeploy): runs after `azd deploy` and `azd up`.
#
# Creates (or updates) the Event Grid subscription that delivers model uploads to the
# `modelUploaded` function, by deploying infra/eventgrid.bicep. That cannot be part of
# `azd provision`: the subscription's webhook URL carries the app's `eventgrid_extension`
# system key, which the Functions host creates only once the code is deployed and running.
#
# Needs the Azure CLI, signed in (`az login`) to the tenant azd deploys to. Every value comes
# from the azd environment (the outputs of infra/main.bicep); the key itself is read inside the
# deployment with listKeys() and never printed.
set -eu

for name in AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME \
  AZURE_EVENTGRID_SYSTEM_TOPIC_NAME AZURE_STORAGE_ACCOUNT_NAME; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "postdeploy: $name is not set in the azd environment; run 'azd provision' first." >&2
    exit 1
  fi
done

if ! command -v az >/dev/null 2>&1; then
  echo "postdeploy: the Azure CLI (az) is required to create the Event Grid subscription." >&2
  echo "            Install it, run 'az login', then 'azd hooks run postdeploy'." >&2
  exit 1
fi
if ! az account show --only-show-errors >/dev/null 2>&1; then
  echo "postdeploy: the Azure CLI is not signed in. Run 'az login', then 'azd hooks run postdeploy'." >&2
  exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
template="$here/../eventgrid.bicep"
app_id=$(az functionapp show --subscription "$AZURE_SUBSCRIPTION_ID" --resource-group "$AZURE_RESOURCE_GROUP" \
  --name "$AZURE_FUNCTION_APP_NAME" --query id --output tsv --only-show-errors)

# The host creates the Event Grid extension key when it first starts with the new code; the
# listKeys call itself wakes the host. Wait up to 5 minutes, checking only that the key exists.
attempt=0
until [ "$(az rest --method post --uri "$app_id/host/default/listKeys?api-version=2024-04-01" \
  --query "systemKeys.eventgrid_extension && 'present' || 'absent'" --output tsv --only-show-errors 2>/dev/null || true)" = "present" ]; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 30 ]; then
    echo "postdeploy: the app has no eventgrid_extension key after 5 minutes. Is the modelUploaded" >&2
    echo "            function deployed? Check 'az functionapp function list -g $AZURE_RESOURCE_GROUP -n $AZURE_FUNCTION_APP_NAME'," >&2
    echo "            then run 'azd hooks run postdeploy' again." >&2
    exit 1
  fi
  echo "postdeploy: waiting for the Functions host to create its Event Grid extension key ($attempt/30)..."
  sleep 10
done

echo "postdeploy: creating the Event Grid subscription to ${EVENTGRID_FUNCTION_NAME:-modelUploaded}..."
az deployment group create --subscription "$AZURE_SUBSCRIPTION_ID" --resource-group "$AZURE_RESOURCE_GROUP" \
  --name eventgrid-model-uploaded --template-file "$template" --only-show-errors --output none \
  --parameters \
  functionAppName="$AZURE_FUNCTION_APP_NAME" \
  systemTopicName="$AZURE_EVENTGRID_SYSTEM_TOPIC_NAME" \
  storageAccountName="$AZURE_STORAGE_ACCOUNT_NAME" \
  functionName="${EVENTGRID_FUNCTION_NAME:-modelUploaded}" \
  modelsContainerName="${MODELS_CONTAINER:-models}" \
  deadLetterContainerName="${EVENTGRID_DEADLETTER_CONTAINER:-eventgrid-deadletter}"

echo "postdeploy: Event Grid subscription 'model-uploaded' is in place on $AZURE_EVENTGRID_SYSTEM_TOPIC_NAME."
