#!/usr/bin/env bash
# Runs the official MCP conformance suite (server mode, spec 2025-11-25) against a throwaway Sluice.
# Exit 0 when every scenario passes except those listed, with reasons, in baseline.yml; a new failure
# or a listed scenario that now passes (a stale baseline) exits non-zero.
# Usage: .ci/conformance/run.sh [extra conformance options, e.g. --scenario tools-list --verbose]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${CONFORMANCE_OUT:-$(mktemp -d)}"
mkdir -p "$out"
cd "$root"

log="$out/server.log"
deno run -A --unstable-no-legacy-abort "$here/serve.ts" >"$out/url" 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT

for _ in $(seq 1 120); do
  [ -s "$out/url" ] && break
  kill -0 "$server" 2>/dev/null || { echo "conformance: server failed to start" >&2; cat "$log" >&2; exit 1; }
  sleep 0.5
done
url="$(head -n1 "$out/url")"
[ -n "$url" ] || { echo "conformance: no server URL after 60 s" >&2; cat "$log" >&2; exit 1; }
echo "conformance: testing $url (results in $out)"

# Test tools resolve through the tests' lockfile, so deno.lock keeps only what the server runs.
deno run -A --lock="$here/../../tests/deno.lock" npm:@modelcontextprotocol/conformance@0.1.16 server \
  --url "$url" \
  --spec-version 2025-11-25 \
  --expected-failures "$here/baseline.yml" \
  -o "$out/results" \
  "$@"
