#!/usr/bin/env bash
# Compiles and lints the Bicep in infra/ with the real Bicep CLI: zero errors AND zero warnings.
#
#   npm run lint:infra        (or: bash scripts/lint-infra.sh)
#
# The CLI comes from NuGet, fetched into .tools/ by scripts/bicep.sh and reused from there.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"
started=$(date +%s)
bicep() { bash "$root/scripts/bicep.sh" "$@"; }

# --- 1. The Bicep CLI (cached in .tools/nuget) -----------------------------------------------------
bicep --version

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
  if ! bicep "$@" >>"$log" 2>&1; then status=1; fi
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
(cd "$copy" && bicep format --pattern '**/*.bicep' >>"$log" 2>&1) || status=1
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
