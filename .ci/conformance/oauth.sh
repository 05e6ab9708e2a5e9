#!/usr/bin/env bash
# Runs the official MCP conformance suite's `authorization` mode against a throwaway Sluice's OAuth 2.1
# authorization server, approving the consent page with a script instead of a person.
# The mode exists from @modelcontextprotocol/conformance 0.2.0-alpha.12 on (0.1.16 has only
# server/client); its scenarios: authorization-server-metadata-endpoint, authorization-code-grant.
# Exit 0 when every check passes. Usage: .ci/conformance/oauth.sh [results-dir]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
out="${1:-${CONFORMANCE_OUT:-$(mktemp -d)}/oauth}"
mkdir -p "$out"
deno run -A --unstable-no-legacy-abort "$here/oauth_driver.ts" "$out"
