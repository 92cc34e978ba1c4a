#!/usr/bin/env bash
# `npm run test:node`: the real-node tier. Vitest's global setup brings the node up
# (scripts/real-node.sh up) and down again; this wrapper also takes it down when the run is
# interrupted (Ctrl-C, a killed CI step) or Vitest dies, so the host is always left as found.
# Not root / no apt: the setup says why and every check is skipped (exit 0).
set -uo pipefail
cd "$(dirname "$0")/.."
cleanup() {
  trap - EXIT INT TERM
  if [ "${REAL_NODE_KEEP:-}" != 1 ] && [ "$(id -u)" = 0 ]; then scripts/real-node.sh down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
started=$(date +%s)
node scripts/run-tests.mjs --no-build --config test/node/vitest.config.mts "$@"
status=$?
echo "test:node took $(($(date +%s) - started))s"
exit "$status"
