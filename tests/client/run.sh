#!/usr/bin/env bash
# The client kit tests (README, "How the output is proven"), after .ci/install-node-tools:
#   1. `synth client STACK --lang typescript` for every bundled stack and every good fixture,
#      compiled with the pinned TypeScript (`tsc --strict`, tests/client/tsconfig.json) together
#      with the type tests (types.test.ts: what a role may not use does not type-check);
#   2. the end-to-end test (e2e.test.mjs, node --test) of the fleet kit against the generated
#      attach function and a local MQTT broker that enforces the permission manifest.
# Uses target/debug/synth (or $SYNTH); writes only tests/client/.build/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
synth="${SYNTH:-$root/target/debug/synth}"
client="$root/tests/client"
build="$client/.build"
cd "$root"

rm -rf "$build"
mkdir -p "$build/src"
count=0
for dir in stacks tests/fixtures/good; do
    for spec in "$dir"/*.yaml; do
        stack="$(sed -n 's/^stack: *\([a-z0-9-]*\).*$/\1/p' "$spec" | head -n 1)"
        "$synth" client "$stack" --lang typescript --stacks "$dir" --out "$build/src" 2>/dev/null
        count=$((count + 1))
    done
done
cp "$client/types.test.ts" "$build/src/"
"$synth" client fleet --lang manifest > "$build/fleet.manifest.json"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$synth" --out "$tmp" --template-format json stacks/fleet.yaml 2>/dev/null
cp "$tmp/fleet.template.json" "$build/fleet.template.json"

echo "tsc --strict: $count kits and the type tests ($("$client/node_modules/.bin/tsc" --version))"
"$client/node_modules/.bin/tsc" -p "$client/tsconfig.json"

echo "node --test: the first-login flow of the fleet kit"
node --test "$client/e2e.test.mjs"
