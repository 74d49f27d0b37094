# azd hook (azure.yaml hooks.postdeploy, Windows): same as postdeploy.sh. Idempotent.
# 1. Checks that every Key Vault reference of the app resolved (App Service's config reference API);
#    if one did not, restarts the app once and checks again, then fails naming the settings.
# 2. Creates or updates the Event Grid subscription to the `modelUploaded` function (endpoint type
#    AzureFunction: no function key in any URL) by deploying infra/eventgrid.bicep, once the function
#    is listed. Needs the Azure CLI, signed in (`az login`).
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$api = '2024-04-01'
$pollSeconds = if ($env:POSTDEPLOY_POLL_SECONDS) { [int]$env:POSTDEPLOY_POLL_SECONDS } else { 10 }
$attempts = if ($env:POSTDEPLOY_POLL_ATTEMPTS) { [int]$env:POSTDEPLOY_POLL_ATTEMPTS } else { 30 }

foreach ($name in 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME',
  'AZURE_EVENTGRID_SYSTEM_TOPIC_NAME', 'AZURE_STORAGE_ACCOUNT_NAME') {
  if (-not [Environment]::GetEnvironmentVariable($name)) {
    throw "postdeploy: $name is not set in the azd environment; run 'azd provision' first."
  }
}
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
  throw "postdeploy: the Azure CLI (az) is required. Install it, run 'az login', then 'azd hooks run postdeploy'."
}
az account show --only-show-errors *> $null
if ($LASTEXITCODE -ne 0) {
  throw "postdeploy: the Azure CLI is not signed in. Run 'az login', then 'azd hooks run postdeploy'."
}

function Get-OrDefault([string] $name, [string] $fallback) {
  $value = [Environment]::GetEnvironmentVariable($name)
  if ($value) { return $value } else { return $fallback }
}

$template = Join-Path $PSScriptRoot '..' 'eventgrid.bicep'
$functionName = Get-OrDefault 'EVENTGRID_FUNCTION_NAME' 'modelUploaded'
$appId = az functionapp show --subscription $env:AZURE_SUBSCRIPTION_ID --resource-group $env:AZURE_RESOURCE_GROUP `
  --name $env:AZURE_FUNCTION_APP_NAME --query id --output tsv --only-show-errors
if ($LASTEXITCODE -ne 0) { throw "postdeploy: function app $env:AZURE_FUNCTION_APP_NAME not found." }

# --- 1. Key Vault references ----------------------------------------------------------------------

function Get-UnresolvedReferences {
  # (No && or | in the query: az is a .cmd script on Windows.)
  $names = az rest --method get --uri "$appId/config/configreferences/appsettings?api-version=$api" `
    --query "value[?properties.status!='Resolved'].name" --output tsv --only-show-errors
  if ($LASTEXITCODE -ne 0) { throw 'postdeploy: cannot read the Key Vault reference status of the app.' }
  return @($names | Where-Object { $_ })
}

$pending = Get-UnresolvedReferences
if ($pending.Count -gt 0) {
  Write-Host "postdeploy: Key Vault references not resolved: $($pending -join ' ') - restarting the app once..."
  az functionapp restart --subscription $env:AZURE_SUBSCRIPTION_ID --resource-group $env:AZURE_RESOURCE_GROUP `
    --name $env:AZURE_FUNCTION_APP_NAME --only-show-errors --output none
  if ($LASTEXITCODE -ne 0) { throw 'postdeploy: the app could not be restarted.' }
  for ($attempt = 1; $attempt -le $attempts; $attempt++) {
    $pending = Get-UnresolvedReferences
    if ($pending.Count -eq 0) { break }
    if ($attempt -lt $attempts) { Start-Sleep -Seconds $pollSeconds }
  }
  if ($pending.Count -gt 0) {
    throw ("postdeploy: Key Vault references still not resolved after a restart: $($pending -join ' '). " +
      "Check the app identity's 'Key Vault Secrets User' role and the secrets in the vault " +
      "(az rest --method get --uri '$appId/config/configreferences/appsettings?api-version=$api'), " +
      "then run 'azd hooks run postdeploy' again.")
  }
}
Write-Host "postdeploy: every Key Vault reference of $env:AZURE_FUNCTION_APP_NAME is resolved."

# --- 2. The Event Grid subscription -----------------------------------------------------------------

for ($attempt = 1; ; $attempt++) {
  az rest --method get --uri "$appId/functions/$($functionName)?api-version=$api" `
    --query name --output tsv --only-show-errors *> $null
  if ($LASTEXITCODE -eq 0) { break }
  if ($attempt -ge $attempts) {
    throw "postdeploy: the function $functionName is not listed after $attempts checks. Is the code deployed? Then run 'azd hooks run postdeploy' again."
  }
  Write-Host "postdeploy: waiting for the function $functionName to be listed ($attempt/$attempts)..."
  Start-Sleep -Seconds $pollSeconds
}

Write-Host "postdeploy: creating or updating the Event Grid subscription to $functionName..."
az deployment group create --subscription $env:AZURE_SUBSCRIPTION_ID --resource-group $env:AZURE_RESOURCE_GROUP `
  --name eventgrid-model-uploaded --template-file $template --only-show-errors --output none `
  --parameters `
  "functionAppName=$env:AZURE_FUNCTION_APP_NAME" `
  "systemTopicName=$env:AZURE_EVENTGRID_SYSTEM_TOPIC_NAME" `
  "storageAccountName=$env:AZURE_STORAGE_ACCOUNT_NAME" `
  "functionName=$functionName" `
  "modelsContainerName=$(Get-OrDefault 'MODELS_CONTAINER' 'models')" `
  "deadLetterContainerName=$(Get-OrDefault 'EVENTGRID_DEADLETTER_CONTAINER' 'eventgrid-deadletter')"
if ($LASTEXITCODE -ne 0) { throw 'postdeploy: the Event Grid subscription deployment failed.' }
Write-Host "postdeploy: Event Grid subscription 'model-uploaded' is in place on $env:AZURE_EVENTGRID_SYSTEM_TOPIC_NAME."
