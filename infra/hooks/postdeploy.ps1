# azd hook (azure.yaml hooks.postdeploy, Windows): same as postdeploy.sh.
# Creates (or updates) the Event Grid subscription that delivers model uploads to the
# `modelUploaded` function by deploying infra/eventgrid.bicep, once the code (and so the
# function's eventgrid_extension system key) exists. Needs the Azure CLI, signed in (`az login`).
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

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
$appId = az functionapp show --subscription $env:AZURE_SUBSCRIPTION_ID --resource-group $env:AZURE_RESOURCE_GROUP `
  --name $env:AZURE_FUNCTION_APP_NAME --query id --output tsv --only-show-errors
if ($LASTEXITCODE -ne 0) { throw "postdeploy: function app $env:AZURE_FUNCTION_APP_NAME not found." }

$attempt = 0
while ($true) {
  $hasKey = az rest --method post --uri "$appId/host/default/listKeys?api-version=2024-04-01" `
    --query "contains(keys(systemKeys), 'eventgrid_extension')" --output tsv --only-show-errors 2>$null
  # (No && or | in the query: az is a .cmd script on Windows. -eq is case-insensitive: true/True.)
  if ($hasKey -eq 'true') { break }
  $attempt++
  if ($attempt -ge 30) {
    throw "postdeploy: the app has no eventgrid_extension key after 5 minutes. Is the modelUploaded function deployed? Then run 'azd hooks run postdeploy' again."
  }
  Write-Host "postdeploy: waiting for the Functions host to create its Event Grid extension key ($attempt/30)..."
  Start-Sleep -Seconds 10
}

$functionName = Get-OrDefault 'EVENTGRID_FUNCTION_NAME' 'modelUploaded'
Write-Host "postdeploy: creating the Event Grid subscription to $functionName..."
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
