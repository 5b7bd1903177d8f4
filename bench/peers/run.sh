#!/usr/bin/env bash
# Roster side by side with other SCIM servers, in one run (see bench/README.md, "Peers"):
# installs the pinned peers into a scratch folder (a venv for scim2-server, npm ci for SCIMMY),
# starts them in memory on random loopback ports, and runs roster-bench against Roster (SQLite)
# and them. Extra arguments go to roster-bench. ROSTER_BENCH=PATH runs that roster-bench
# executable instead of `cargo run --release -p roster-bench`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/roster-peers.XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$scratch"
}
trap cleanup EXIT

echo "installing peers into $scratch" >&2
python3 -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps \
    -r "$here/requirements.lock"
cp "$here/package.json" "$here/package-lock.json" "$here/scimmy-server.mjs" "$scratch/"
(cd "$scratch" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Answers once $1 serves; gives up after 20 s.
wait_for() {
    for _ in $(seq 200); do
        if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "$2 did not start; its log:" >&2
    cat "$3" >&2
    exit 1
}

python_port="$(free_port)"
"$scratch/venv/bin/scim2-server" --hostname 127.0.0.1 --port "$python_port" \
    >"$scratch/scim2-server.log" 2>&1 &
pids+=("$!")
node_port="$(free_port)"
node "$scratch/scimmy-server.mjs" "$node_port" >"$scratch/scimmy.log" 2>&1 &
pids+=("$!")
wait_for "http://127.0.0.1:$python_port/v2/ServiceProviderConfig" scim2-server "$scratch/scim2-server.log"
wait_for "http://127.0.0.1:$node_port/scim/ServiceProviderConfig" SCIMMY "$scratch/scimmy.log"

peers=(
    --peer "scim2-server=http://127.0.0.1:$python_port/v2"
    --peer "SCIMMY=http://127.0.0.1:$node_port/scim"
)
cd "$root"
if [[ -n "${ROSTER_BENCH:-}" ]]; then
    "$ROSTER_BENCH" --stores sqlite "${peers[@]}" "$@"
else
    cargo run --release -p roster-bench -- --stores sqlite "${peers[@]}" "$@"
fi
