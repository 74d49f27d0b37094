#!/bin/sh
# azd hook (azure.yaml hooks.postdeploy): runs after `azd deploy` and `azd up`. Idempotent.
#
# 1. Key Vault references. Every secret setting of the app is a Key Vault reference, resolved by App
#    Service with the app's identity. If one is not resolved (typically: the identity's role on the vault
#    was not effective yet when the app first started), the app would read the literal
#    "@Microsoft.KeyVault(...)" string. The hook reads the status of every reference (App Service's
#    config reference API) and, if one is not "Resolved", restarts the app once and checks again; still
#    unresolved, it fails naming the settings (never their values).
# 2. The Event Grid subscription that delivers model uploads to the `modelUploaded` function, created or
#    updated by deploying infra/eventgrid.bicep. Its endpoint type is AzureFunction: Event Grid calls the
#    function by its resource id, so no function key appears in a URL, a parameter or an output. It
#    cannot be part of `azd provision`: Event Grid checks that the function exists, which it does only
#    once the code is deployed, so the hook first waits for the function to be listed.
#
# Needs the Azure CLI, signed in (`az login`) to the tenant azd deploys to. Every value comes from the
# azd environment (the outputs of infra/main.bicep). Re-run it with `azd hooks run postdeploy`.
set -eu

api=2024-04-01
poll_seconds=${POSTDEPLOY_POLL_SECONDS:-10}
attempts=${POSTDEPLOY_POLL_ATTEMPTS:-30}

for name in AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME \
  AZURE_EVENTGRID_SYSTEM_TOPIC_NAME AZURE_STORAGE_ACCOUNT_NAME; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "postdeploy: $name is not set in the azd environment; run 'azd provision' first." >&2
    exit 1
  fi
done

if ! command -v az >/dev/null 2>&1; then
  echo "postdeploy: the Azure CLI (az) is required." >&2
  echo "            Install it, run 'az login', then 'azd hooks run postdeploy'." >&2
  exit 1
fi
if ! az account show --only-show-errors >/dev/null 2>&1; then
  echo "postdeploy: the Azure CLI is not signed in. Run 'az login', then 'azd hooks run postdeploy'." >&2
  exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
template="$here/../eventgrid.bicep"
function_name=${EVENTGRID_FUNCTION_NAME:-modelUploaded}
app_id=$(az functionapp show --subscription "$AZURE_SUBSCRIPTION_ID" --resource-group "$AZURE_RESOURCE_GROUP" \
  --name "$AZURE_FUNCTION_APP_NAME" --query id --output tsv --only-show-errors)

# --- 1. Key Vault references -----------------------------------------------------------------------

# Names of the app settings whose Key Vault reference is not resolved (one per line; empty: all are).
unresolved_references() {
  az rest --method get --uri "$app_id/config/configreferences/appsettings?api-version=$api" \
    --query "value[?properties.status!='Resolved'].name" --output tsv --only-show-errors
}

# Waits until every reference is resolved; prints the unresolved ones if they stay so.
references_resolve() {
  attempt=1
  while :; do
    pending=$(unresolved_references)
    [ -z "$pending" ] && return 0
    [ "$attempt" -ge "$attempts" ] && break
    attempt=$((attempt + 1))
    sleep "$poll_seconds"
  done
  printf '%s\n' "$pending"
  return 1
}

pending=$(unresolved_references)
if [ -n "$pending" ]; then
  echo "postdeploy: Key Vault references not resolved: $(printf '%s' "$pending" | tr '\n' ' ')- restarting the app once..."
  az functionapp restart --subscription "$AZURE_SUBSCRIPTION_ID" --resource-group "$AZURE_RESOURCE_GROUP" \
    --name "$AZURE_FUNCTION_APP_NAME" --only-show-errors --output none
  if ! pending=$(references_resolve); then
    echo "postdeploy: Key Vault references still not resolved after a restart: $(printf '%s' "$pending" | tr '\n' ' ')" >&2
    echo "            Check the app identity's 'Key Vault Secrets User' role and the secrets in ${AZURE_KEY_VAULT_NAME:-the Key Vault}:" >&2
    echo "            az rest --method get --uri '$app_id/config/configreferences/appsettings?api-version=$api' \\" >&2
    echo "              --query \"value[].{setting:name, status:properties.status, details:properties.details}\" --output table" >&2
    echo "            then run 'azd hooks run postdeploy' again." >&2
    exit 1
  fi
fi
echo "postdeploy: every Key Vault reference of $AZURE_FUNCTION_APP_NAME is resolved."

# --- 2. The Event Grid subscription ------------------------------------------------------------------

# The function is listed once the host has started with the deployed code.
attempt=1
until az rest --method get --uri "$app_id/functions/$function_name?api-version=$api" \
  --query name --output tsv --only-show-errors >/dev/null 2>&1; do
  if [ "$attempt" -ge "$attempts" ]; then
    echo "postdeploy: the function $function_name is not listed after $attempts checks. Is the code deployed?" >&2
    echo "            Check 'az functionapp function list -g $AZURE_RESOURCE_GROUP -n $AZURE_FUNCTION_APP_NAME'," >&2
    echo "            then run 'azd hooks run postdeploy' again." >&2
    exit 1
  fi
  echo "postdeploy: waiting for the function $function_name to be listed ($attempt/$attempts)..."
  attempt=$((attempt + 1))
  sleep "$poll_seconds"
done

echo "postdeploy: creating or updating the Event Grid subscription to $function_name..."
az deployment group create --subscription "$AZURE_SUBSCRIPTION_ID" --resource-group "$AZURE_RESOURCE_GROUP" \
  --name eventgrid-model-uploaded --template-file "$template" --only-show-errors --output none \
  --parameters \
  functionAppName="$AZURE_FUNCTION_APP_NAME" \
  systemTopicName="$AZURE_EVENTGRID_SYSTEM_TOPIC_NAME" \
  storageAccountName="$AZURE_STORAGE_ACCOUNT_NAME" \
  functionName="$function_name" \
  modelsContainerName="${MODELS_CONTAINER:-models}" \
  deadLetterContainerName="${EVENTGRID_DEADLETTER_CONTAINER:-eventgrid-deadletter}"

echo "postdeploy: Event Grid subscription 'model-uploaded' is in place on $AZURE_EVENTGRID_SYSTEM_TOPIC_NAME."
