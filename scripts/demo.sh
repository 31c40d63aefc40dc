#!/usr/bin/env bash
# The main job, end to end on this machine: installs what is needed, builds, starts the demo
# identity provider and the daemon, obtains a token with each working grant through
# vegha-token, shows that asking again is served from the cache, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/install-deps.sh
scripts/build.sh default
bin=$root/build/default

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

wait_for() {  # wait_for DESCRIPTION TEST-COMMAND...: polls for up to 15 s
    local what=$1; shift
    for _ in $(seq 150); do "$@" && return 0; sleep 0.1; done
    echo "demo: $what did not come up within 15 s" >&2
    exit 1
}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Starting the demo identity provider (oidc-provider) on an ephemeral loopback port"
node idp/demo-idp.mjs --port 0 --ready-file "$work/idp.json" 2>"$work/idp.log" >/dev/null &
pids+=($!)
wait_for "the identity provider" test -s "$work/idp.json"
issuer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["issuer"])' "$work/idp.json")
echo "issuer: $issuer"

# The profiles name their secrets by environment variable, so the file holds none.
mkdir -p "$work/config/vegha-broker"
cat >"$work/config/vegha-broker/config.json" <<JSON
{
  "profiles": {
    "demo-service": {
      "grant": "client_credentials",
      "token_url": "$issuer/token",
      "client_id": "demo-service",
      "client_secret_env": "DEMO_SERVICE_SECRET",
      "scopes": ["api:read", "api:write"]
    },
    "demo-alice": {
      "grant": "password",
      "token_url": "$issuer/token",
      "client_id": "demo-cli",
      "username": "alice",
      "password_env": "DEMO_ALICE_PASSWORD",
      "scopes": ["openid", "api:read", "offline_access"]
    }
  }
}
JSON
echo "profiles: $work/config/vegha-broker/config.json"

step "Starting vegha-brokerd"
export VEGHA_BROKER_SOCKET=$work/run/broker.sock
DEMO_SERVICE_SECRET=demo-service-secret DEMO_ALICE_PASSWORD=wonderland \
    XDG_CONFIG_HOME=$work/config "$bin/daemon/vegha-brokerd" 2>"$work/daemon.log" &
pids+=($!)
wait_for "the daemon" test -S "$VEGHA_BROKER_SOCKET"
echo "socket: $VEGHA_BROKER_SOCKET"

token=$bin/cli/vegha-token
step "Client credentials grant: vegha-token get demo-service --format header"
"$token" get demo-service --format header | cut -c1-40 | sed 's/$/... (cut short)/'

step "Password grant: vegha-token get demo-alice --format json"
"$token" get demo-alice --format json | python3 -c '
import json, sys
reply = json.load(sys.stdin)
for key in ("access_token", "id_token"):
    if key in reply: reply[key] = reply[key][:12] + "... (cut short)"
print(json.dumps(reply, indent=2))'

step "Asking again: served from the daemon's cache, no request to the provider"
"$token" get demo-service --format json | python3 -c '
import json, sys; print("cached:", json.load(sys.stdin)["cached"])'
requests=$(curl -s "$issuer/_test/counters" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_requests"])')
echo "token requests the provider has seen: $requests (one per grant)"

step "vegha-token list"
"$token" list
step "vegha-token status"
"$token" status

step "Done; stopping the daemon and the provider"
