#!/usr/bin/env bash
# Compiles and lints the Bicep in infra/ with the real Bicep CLI: zero errors AND zero warnings.
#
#   npm run lint:infra        (or: bash scripts/lint-infra.sh)
#
# The CLI comes from NuGet (package Azure.Bicep.CommandLine.<rid>, a self-contained `bicep`
# executable under tools/), fetched with `dotnet restore` of a throwaway project into .tools/
# (git-ignored) and reused from there on later runs. Needs only the .NET SDK and access to the NuGet
# feed the first time; no Azure CLI, no module registry (infra/ uses local modules only).
set -euo pipefail

BICEP_VERSION=0.49.2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"
started=$(date +%s)

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) rid=linux-x64 ;;
  Linux/aarch64 | Linux/arm64) rid=linux-arm64 ;;
  Darwin/x86_64) rid=osx-x64 ;;
  Darwin/arm64) rid=osx-arm64 ;;
  *)
    echo "lint-infra: no Bicep CLI package for $(uname -s)/$(uname -m)" >&2
    exit 1
    ;;
esac
package="Azure.Bicep.CommandLine.$rid"
packages="$tools/nuget"
bicep="$packages/$(echo "$package" | tr '[:upper:]' '[:lower:]')/$BICEP_VERSION/tools/bicep"

# --- 1. The Bicep CLI (cached in .tools/nuget) -----------------------------------------------------
if [[ ! -x "$bicep" ]] || ! "$bicep" --version 2>/dev/null | grep -qF "Bicep CLI version $BICEP_VERSION "; then
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "lint-infra: the .NET SDK (dotnet) is needed to fetch the Bicep CLI from NuGet" >&2
    exit 1
  fi
  export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  sdk_major=$(dotnet --version | cut -d. -f1)
  project_dir=$(mktemp -d)
  trap 'rm -rf "$project_dir"' EXIT
  # A project that only downloads the package (PackageDownload: no reference, no build).
  cat > "$project_dir/fetch-bicep.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net$sdk_major.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$package" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
EOF
  echo "lint-infra: fetching $package $BICEP_VERSION from NuGet into .tools/nuget ..."
  dotnet restore "$project_dir/fetch-bicep.csproj" --packages "$packages" --nologo --verbosity quiet
  chmod +x "$bicep"
fi
"$bicep" --version

# --- 2. Build, lint and format-check every Bicep file ---------------------------------------------
cd "$root"
out="$tools/bicep-out" # compiled ARM JSON: kept out of git (.tools/ is ignored)
mkdir -p "$out"
log=$(mktemp)
status=0

run() {
  printf '+ bicep'
  printf " '%s'" "$@"
  echo
  if ! "$bicep" "$@" >>"$log" 2>&1; then status=1; fi
}

# Entry points: infra/main.bicep (azd provision) and infra/eventgrid.bicep (postdeploy hook).
run build --pattern 'infra/*.bicep' --outdir "$out"
# Every file, modules included, with the analyzers of infra/bicepconfig.json.
run lint --pattern 'infra/**/*.bicep'

# Canonical formatting: format a copy of infra/ in place and compare it with the original.
copy=$(mktemp -d)
(cd infra && find . -name '*.bicep' -o -name 'bicepconfig.json') | while IFS= read -r file; do
  mkdir -p "$copy/$(dirname "$file")"
  cp "infra/$file" "$copy/$file"
done
echo "+ bicep format --pattern '**/*.bicep' (in a copy of infra/, then compared)"
(cd "$copy" && "$bicep" format --pattern '**/*.bicep' >>"$log" 2>&1) || status=1
while IFS= read -r file; do
  if ! cmp -s "infra/$file" "$copy/$file"; then
    echo "infra/$file: not formatted as 'bicep format' would have it:" >>"$log"
    diff -u "infra/$file" "$copy/$file" >>"$log" || true
    status=1
  fi
done < <(cd infra && find . -name '*.bicep' | sort)
rm -rf "$copy"

# Diagnostics look like: path(line,col) : Warning rule-id: message
if grep -Eq ' : (Warning|Error) |not formatted as' "$log"; then status=1; fi
if [[ -s "$log" ]]; then cat "$log"; fi
rm -f "$log"

seconds=$(($(date +%s) - started))
if [[ "$status" -ne 0 ]]; then
  echo "lint-infra: FAILED (errors, warnings or formatting above) in ${seconds}s" >&2
  exit 1
fi
echo "lint-infra: $(find infra -name '*.bicep' | wc -l | tr -d ' ') Bicep files compiled and linted: 0 errors, 0 warnings (${seconds}s)"
