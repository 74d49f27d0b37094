#!/usr/bin/env bash
# Runs the Bicep CLI with the given arguments, fetching it first if needed:
#
#   bash scripts/bicep.sh build infra/main.bicep --stdout
#
# The CLI comes from NuGet (package Azure.Bicep.CommandLine.<rid>, a self-contained `bicep`
# executable under tools/), fetched with `dotnet restore` of a throwaway project into .tools/
# (git-ignored) and reused from there on later runs. Needs only the .NET SDK and access to the NuGet
# feed the first time; no Azure CLI, no module registry (infra/ uses local modules only).
# Used by scripts/lint-infra.sh and by the contract tests that read the compiled ARM JSON.
set -euo pipefail

BICEP_VERSION=0.49.2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) rid=linux-x64 ;;
  Linux/aarch64 | Linux/arm64) rid=linux-arm64 ;;
  Darwin/x86_64) rid=osx-x64 ;;
  Darwin/arm64) rid=osx-arm64 ;;
  *)
    echo "bicep.sh: no Bicep CLI package for $(uname -s)/$(uname -m)" >&2
    exit 1
    ;;
esac
package="Azure.Bicep.CommandLine.$rid"
packages="$tools/nuget"
bicep="$packages/$(echo "$package" | tr '[:upper:]' '[:lower:]')/$BICEP_VERSION/tools/bicep"

installed() { [[ -x "$bicep" ]] && "$bicep" --version 2>/dev/null | grep -qF "Bicep CLI version $BICEP_VERSION "; }

# --- The Bicep CLI (cached in .tools/nuget; one fetch at a time when tests run in parallel) --------
mkdir -p "$tools"
if ! installed && command -v flock >/dev/null 2>&1; then
  exec 9>"$tools/bicep.lock"
  flock 9
fi
if ! installed; then
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "bicep.sh: the .NET SDK (dotnet) is needed to fetch the Bicep CLI from NuGet" >&2
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
  echo "bicep.sh: fetching $package $BICEP_VERSION from NuGet into .tools/nuget ..." >&2
  dotnet restore "$project_dir/fetch-bicep.csproj" --packages "$packages" --nologo --verbosity quiet >&2
  chmod +x "$bicep"
  rm -rf "$project_dir"
  trap - EXIT
fi

exec "$bicep" "$@"
